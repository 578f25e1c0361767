package org.openmuc.j62056;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.modhub.emulator.umi.internal.MeterModel;
import org.modhub.emulator.umi.internal.OpticalMeterServer;
import org.modhub.umi.internal.Iec21Frames;
import org.modhub.umi.internal.UmiException;
import org.openmuc.j62056.internal.IdentificationMessage;

/**
 * OpenMUC j62056 as a reference decoder: its mode A/B/C data-message reader (package-private, hence
 * this test's package; its serial side needs jRxTx and is not used) must read the emulated meter's
 * data message into the same data sets as the hub's own decoder, and must agree that a corrupted
 * block check is an error.
 */
class J62056CrossCheckTest {
    static final String IDENT = "/MHB5MODHUB-OPT-001\r\n";

    static DataMessage j62056(byte[] message) throws IOException {
        byte[] all = new byte[IDENT.length() + message.length];
        System.arraycopy(IDENT.getBytes(StandardCharsets.US_ASCII), 0, all, 0, IDENT.length());
        System.arraycopy(message, 0, all, IDENT.length(), message.length);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(all));
        IdentificationMessage id = new IdentificationMessage(in);
        return DataMessage.readModeAbcDataMessage(in, id);
    }

    static byte[] message(OpticalMeterServer.Fault fault) throws Exception {
        // an unopened server is enough to build a data message: use the model directly
        return Emulated.message(fault);
    }

    @Test
    void bothDecodersReadTheSameDataSets() throws Exception {
        byte[] msg = message(OpticalMeterServer.Fault.NONE);
        DataMessage theirs = j62056(msg);
        Iec21Frames.checkBcc(Arrays.copyOfRange(msg, 1, msg.length - 1), msg[msg.length - 1]);
        List<Iec21Frames.DataSet> ours = Iec21Frames.parseDataBlock(Arrays.copyOfRange(msg, 1, msg.length - 2));
        assertEquals(theirs.getDataSets().size(), ours.size());
        for (int i = 0; i < ours.size(); i++) {
            DataSet t = theirs.getDataSets().get(i);
            assertEquals(t.getAddress(), ours.get(i).address());
            assertEquals(t.getValue(), ours.get(i).value());
            assertEquals(t.getUnit() == null ? "" : t.getUnit(), ours.get(i).unit());
        }
        assertEquals(Iec21Frames.parseIdentification(IDENT.getBytes(StandardCharsets.US_ASCII)).identification(),
                new IdentificationMessage(new DataInputStream(new ByteArrayInputStream(
                        IDENT.getBytes(StandardCharsets.US_ASCII)))).getMeterId());
    }

    @Test
    void bothRefuseABadBlockCheck() throws Exception {
        byte[] msg = message(OpticalMeterServer.Fault.BAD_BCC);
        assertThrows(IOException.class, () -> j62056(msg));
        assertThrows(UmiException.BadBccException.class,
                () -> Iec21Frames.checkBcc(Arrays.copyOfRange(msg, 1, msg.length - 1), msg[msg.length - 1]));
    }

    /** Builds data messages as the emulated optical port sends them, without opening a port. */
    static final class Emulated {
        static byte[] message(OpticalMeterServer.Fault fault) throws Exception {
            return OpticalMeterServer.dataMessage(MeterModel.standard(), "MODHUB-OPT-001", fault, Instant.now());
        }
    }
}

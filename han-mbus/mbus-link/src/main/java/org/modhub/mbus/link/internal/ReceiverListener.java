package org.modhub.mbus.link.internal;

import java.io.IOException;
import java.util.function.Consumer;
import org.openmuc.jmbus.wireless.WMBusListener;
import org.openmuc.jmbus.wireless.WMBusMessage;

/**
 * What jMBus's transceiver connection hands over: telegrams it decoded (the hub decodes them again
 * with its own checks and keys) and octets it discarded — jMBus discards every encrypted telegram it
 * has no key for, and it is given none: the hub's key store stays the only holder of keys.
 */
final class ReceiverListener implements WMBusListener {
    private final WirelessReceiver receiver;
    private final Consumer<IOException> stopped;

    ReceiverListener(WirelessReceiver receiver, Consumer<IOException> stopped) {
        this.receiver = receiver;
        this.stopped = stopped;
    }

    @Override
    public void newMessage(WMBusMessage message) {
        receiver.accept(message.asBlob());
    }

    @Override
    public void discardedBytes(byte[] bytes) {
        receiver.accept(bytes);
    }

    @Override
    public void stoppedListening(IOException cause) {
        stopped.accept(cause);
    }
}

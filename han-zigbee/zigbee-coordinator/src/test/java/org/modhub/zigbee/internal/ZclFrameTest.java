package org.modhub.zigbee.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import com.zsmartsystems.zigbee.IeeeAddress;
import com.zsmartsystems.zigbee.database.ZigBeeEndpointDao;
import com.zsmartsystems.zigbee.database.ZigBeeNodeDao;
import org.junit.jupiter.api.Test;

/** The hub's strict ZCL reader, and the node store's encoding. */
class ZclFrameTest {
    @Test
    void readsHeadersReportsAndReadResponses() throws Exception {
        int[] report = {0x18, 0x42, 0x0A, 0x00, 0x00, 0x25, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x00, 0x04, 0x2A, 0xFF,
            0xFF, 0xFF};
        ZclFrame.Header h = ZclFrame.header(report);
        assertEquals(0x42, h.sequence());
        assertEquals(ZclFrame.REPORT_ATTRIBUTES, h.command());
        assertEquals(true, h.serverToClient());
        List<ZclFrame.Attribute> a = ZclFrame.report(report, h.length());
        assertEquals(0x060504030201L, a.get(0).value());
        assertEquals(0x0400, a.get(1).id());
        assertEquals(-1, a.get(1).value(), "int24 is signed");

        int[] response = {0x18, 0x01, 0x01, 0x00, 0x03, 0x00, 0x30, 0x01, 0x01, 0x03, 0x86};
        List<ZclFrame.Attribute> r = ZclFrame.readResponse(response, 3);
        assertEquals(1, r.get(0).value());
        assertEquals(0x86, r.get(1).status());

        int[] manufacturer = {0x1D, 0x34, 0x12, 0x07, 0x00};
        ZclFrame.Header m = ZclFrame.header(manufacturer);
        assertEquals(5, m.length());
        assertEquals(true, m.clusterSpecific());
    }

    @Test
    void refusesMalformedFrames() {
        assertThrows(MalformedZclFrameException.class, () -> ZclFrame.header(new int[] {0x18, 0x01}));
        assertThrows(MalformedZclFrameException.class, () -> ZclFrame.header(new int[] {0x02, 0x01, 0x00}));
        assertThrows(MalformedZclFrameException.class, () -> ZclFrame.header(new int[] {0x38, 0x01, 0x00}));
        assertThrows(MalformedZclFrameException.class, () -> ZclFrame.header(new int[] {0x04, 0x34, 0x12, 0x00}));
        assertThrows(MalformedZclFrameException.class, () -> ZclFrame.report(new int[] {0x18, 0, 0x0A}, 3));
        assertThrows(MalformedZclFrameException.class,
                () -> ZclFrame.report(new int[] {0x18, 0, 0x0A, 0x00, 0x00, 0x25, 0x01}, 3));
        assertThrows(MalformedZclFrameException.class,
                () -> ZclFrame.report(new int[] {0x18, 0, 0x0A, 0x00, 0x00, 0x99, 0x01}, 3));
        assertThrows(MalformedZclFrameException.class,
                () -> ZclFrame.readResponse(new int[] {0x18, 0, 0x01, 0x00, 0x00, 0x00}, 3));
        assertThrows(MalformedZclFrameException.class,
                () -> ZclFrame.readResponse(new int[] {0x18, 0, 0x01, 0x00, 0x00, 0x00, 0x42, 0x05, 0x41}, 3));
        assertThrows(MalformedZclFrameException.class, () -> ZclFrame.attributeIds(new int[] {0x00, 0, 0x00, 0x01}, 3));
        assertThrows(MalformedZclFrameException.class, () -> ZclFrame.attributeIds(new int[] {0x00, 0, 0x00}, 3));
    }

    @Test
    void nodeStoreKeepsAddressesAndClusters() {
        ZigBeeNodeDao node = new ZigBeeNodeDao();
        IeeeAddress ieee = new IeeeAddress("000D6F0000000001");
        node.setIeeeAddress(ieee);
        node.setNetworkAddress(0x1234);
        ZigBeeEndpointDao ep = new ZigBeeEndpointDao();
        ep.setEndpointId(1);
        ep.setProfileId(0x0109);
        ep.setDeviceId(0x0501);
        ep.setDeviceVersion(0);
        ep.setInputClusterIds(List.of(0x0000, 0x0702, 0x0704));
        ep.setOutputClusterIds(List.of(0x000A));
        node.setEndpoints(List.of(ep));
        ZigBeeNodeDao back = StoreDataStore.decode(ieee, StoreDataStore.encode(node));
        assertEquals(0x1234, back.getNetworkAddress());
        assertEquals(List.of(0x0000, 0x0702, 0x0704), back.getEndpoints().get(0).getInputClusterIds());
        assertEquals(List.of(0x000A), back.getEndpoints().get(0).getOutputClusterIds());
        assertEquals(0x0501, back.getEndpoints().get(0).getDeviceId());
        assertNull(StoreDataStore.decode(ieee, new byte[] {9}), "unknown version is not guessed at");
    }
}

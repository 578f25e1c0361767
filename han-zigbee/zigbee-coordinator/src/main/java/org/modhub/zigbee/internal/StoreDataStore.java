package org.modhub.zigbee.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import com.zsmartsystems.zigbee.IeeeAddress;
import com.zsmartsystems.zigbee.database.ZclClusterDao;
import com.zsmartsystems.zigbee.database.ZigBeeEndpointDao;
import com.zsmartsystems.zigbee.database.ZigBeeNetworkDataStore;
import com.zsmartsystems.zigbee.database.ZigBeeNodeDao;
import org.modhub.api.store.StateStore;

/**
 * The library's network data store kept in the hub-core {@link StateStore}: per node its network
 * address and endpoints (profile, device id, input and output clusters), which is what the hub needs
 * to talk to a node again after a restart. Attribute caches are not kept: values live in the metering
 * store. Namespace {@value #NAMESPACE}, key {@code node/<EUI-64 hex>}.
 */
final class StoreDataStore implements ZigBeeNetworkDataStore {
    static final String NAMESPACE = "org.modhub.han-zigbee";
    private static final String PREFIX = "node/";
    private static final int VERSION = 1;
    private final StateStore store;

    StoreDataStore(StateStore store) {
        this.store = store;
    }

    @Override
    public Set<IeeeAddress> readNetworkNodes() {
        Set<IeeeAddress> out = new HashSet<>();
        for (String key : store.entries(NAMESPACE).keySet()) {
            if (key.startsWith(PREFIX)) {
                out.add(new IeeeAddress(key.substring(PREFIX.length())));
            }
        }
        return out;
    }

    @Override
    public ZigBeeNodeDao readNode(IeeeAddress address) {
        return store.get(NAMESPACE, PREFIX + address).map(b -> decode(address, b)).orElse(null);
    }

    @Override
    public void writeNode(ZigBeeNodeDao node) {
        store.put(NAMESPACE, PREFIX + node.getIeeeAddress(), encode(node));
    }

    @Override
    public void removeNode(IeeeAddress address) {
        store.remove(NAMESPACE, PREFIX + address);
    }

    static byte[] encode(ZigBeeNodeDao node) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            out.writeInt(node.getNetworkAddress() == null ? -1 : node.getNetworkAddress());
            List<ZigBeeEndpointDao> eps = node.getEndpoints() == null ? List.of() : node.getEndpoints();
            out.writeByte(eps.size());
            for (ZigBeeEndpointDao ep : eps) {
                out.writeByte(ep.getEndpointId());
                out.writeShort(ep.getProfileId() == null ? 0 : ep.getProfileId());
                out.writeShort(ep.getDeviceId() == null ? 0 : ep.getDeviceId());
                out.writeByte(ep.getDeviceVersion() == null ? 0 : ep.getDeviceVersion());
                writeIds(out, ep.getInputClusterIds());
                writeIds(out, ep.getOutputClusterIds());
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void writeIds(DataOutputStream out, List<Integer> ids) throws IOException {
        List<Integer> l = ids == null ? List.of() : ids;
        out.writeByte(l.size());
        for (int id : l) {
            out.writeShort(id);
        }
    }

    static ZigBeeNodeDao decode(IeeeAddress address, byte[] b) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(b));
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                return null;
            }
            ZigBeeNodeDao node = new ZigBeeNodeDao();
            node.setIeeeAddress(address);
            int nwk = in.readInt();
            node.setNetworkAddress(nwk < 0 ? null : nwk);
            int n = in.readUnsignedByte();
            List<ZigBeeEndpointDao> eps = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ZigBeeEndpointDao ep = new ZigBeeEndpointDao();
                ep.setEndpointId(in.readUnsignedByte());
                ep.setProfileId(in.readUnsignedShort());
                ep.setDeviceId(in.readUnsignedShort());
                ep.setDeviceVersion(in.readUnsignedByte());
                List<Integer> inputs = readIds(in);
                List<Integer> outputs = readIds(in);
                ep.setInputClusterIds(inputs);
                ep.setOutputClusterIds(outputs);
                ep.setInputClusters(clusters(inputs, false));
                ep.setOutputClusters(clusters(outputs, true));
                eps.add(ep);
            }
            node.setEndpoints(eps);
            node.setBindingTable(new HashSet<>());
            return node;
        } catch (IOException e) {
            return null;
        }
    }

    private static List<Integer> readIds(DataInputStream in) throws IOException {
        int n = in.readUnsignedByte();
        List<Integer> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(in.readUnsignedShort());
        }
        return ids;
    }

    private static List<ZclClusterDao> clusters(List<Integer> ids, boolean client) {
        List<ZclClusterDao> out = new ArrayList<>();
        for (int id : ids) {
            ZclClusterDao c = new ZclClusterDao();
            c.setClusterId(id);
            c.setClient(client);
            c.setAttributes(new HashMap<>());
            c.setSupportedCommandsGenerated(new HashSet<>());
            c.setSupportedCommandsReceived(new HashSet<>());
            out.add(c);
        }
        return out;
    }
}

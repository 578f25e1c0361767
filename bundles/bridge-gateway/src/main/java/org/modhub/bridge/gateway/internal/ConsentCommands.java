package org.modhub.bridge.gateway.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Shell commands (Gogo, dev variant; any shell that follows the {@code osgi.command.*} convention) to
 * record and withdraw an occupier's consent, i.e. factory configurations {@value Consent#PID}:
 * <pre>
 * bridge:grant org.modhub.bridge-mqtt-json current-registers,demand,half-hourly-history 60 48
 * bridge:consents
 * bridge:withdraw org.modhub.bridge-mqtt-json
 * </pre>
 * The configuration is validated like any other; a bad value is refused when the consent activates.
 */
@Component(service = ConsentCommands.class, property = {"osgi.command.scope=bridge",
    "osgi.command.function=grant", "osgi.command.function=withdraw", "osgi.command.function=consents"})
public class ConsentCommands {
    @Reference
    ConfigurationAdmin configAdmin;

    public String grant(String bridge, String dataObjects) throws IOException, InvalidSyntaxException {
        return grant(bridge, dataObjects, 60, 48);
    }

    public String grant(String bridge, String dataObjects, int readsPerMinute, int historyHours)
            throws IOException, InvalidSyntaxException {
        String[] objects = Arrays.stream(dataObjects.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .toArray(String[]::new);
        Consent.validate(bridge, objects, null, readsPerMinute, historyHours); // refuse here, with the same message
        withdraw(bridge);
        Configuration c = configAdmin.createFactoryConfiguration(Consent.PID, "?");
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("bridge", bridge);
        p.put("dataObjects", objects);
        p.put("readsPerMinute", readsPerMinute);
        p.put("historyHours", historyHours);
        c.update(p);
        return "granted " + bridge + ": " + String.join(",", objects) + " (" + readsPerMinute + " reads/min, history "
                + historyHours + " h)";
    }

    public String withdraw(String bridge) throws IOException, InvalidSyntaxException {
        int n = 0;
        for (Configuration c : list()) {
            if (bridge.equals(c.getProperties().get("bridge"))) {
                c.delete();
                n++;
            }
        }
        return n == 0 ? "no consent for " + bridge : "withdrew consent of " + bridge;
    }

    public List<String> consents() throws IOException, InvalidSyntaxException {
        List<String> out = new ArrayList<>();
        for (Configuration c : list()) {
            Dictionary<String, Object> p = c.getProperties();
            Object objects = p.get("dataObjects");
            out.add(p.get("bridge") + ": " + (objects instanceof String[] a ? String.join(",", a) : String.valueOf(objects))
                    + " (" + p.get("readsPerMinute") + " reads/min, history " + p.get("historyHours") + " h)");
        }
        return out;
    }

    private Configuration[] list() throws IOException, InvalidSyntaxException {
        Configuration[] cs = configAdmin.listConfigurations("(service.factoryPid=" + Consent.PID + ")");
        return cs == null ? new Configuration[0] : cs;
    }
}

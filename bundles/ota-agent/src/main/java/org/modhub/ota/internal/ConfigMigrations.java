package org.modhub.ota.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.modhub.api.store.StateStore;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Versioned configuration migrations. A bundle carries its steps as
 * {@code OSGI-INF/modhub/migrations/<n>.properties} (n = 1, 2, ...: one step per bundle version that
 * changes its configuration), each for one PID:
 *
 * <pre>
 * pid=org.example.thing
 * rename.oldKey=newKey
 * remove=key1,key2
 * default.someKey=value     (set only if absent)
 * </pre>
 *
 * The last step applied per bundle is recorded in the StateStore (namespace {@value #NS}, key = the
 * symbolic name). Steps run after staging and before the new bundles start; the previous
 * configurations and step numbers are kept in the StateStore under {@code undo/<job>} until the
 * commit, so a rollback (by the agent, or by the boot guard followed by the agent at its next start)
 * restores them. A PID without configuration has nothing to migrate (its defaults come from its
 * MetaType).
 */
final class ConfigMigrations implements Transactions.Migrations {
    static final String NS = "org.modhub.ota.migrations";
    static final String PREFIX = "OSGI-INF/modhub/migrations/";

    record Step(int number, String pid, Map<String, String> rename, List<String> remove, Map<String, String> defaults) {
    }

    private final ConfigurationAdmin ca;
    private final StateStore state;
    private final Consumer<String> log;

    ConfigMigrations(ConfigurationAdmin ca, StateStore state, Consumer<String> log) {
        this.ca = ca;
        this.state = state;
        this.log = log;
    }

    static List<Step> steps(Path jar) throws IOException {
        TreeMap<Integer, Step> steps = new TreeMap<>();
        try (JarFile j = new JarFile(jar.toFile())) {
            for (Enumeration<? extends ZipEntry> en = j.entries(); en.hasMoreElements();) {
                ZipEntry e = en.nextElement();
                String n = e.getName();
                if (!n.startsWith(PREFIX) || !n.endsWith(".properties")) {
                    continue;
                }
                String num = n.substring(PREFIX.length(), n.length() - ".properties".length());
                if (!num.matches("[1-9][0-9]{0,5}")) {
                    throw new IOException("bad migration step name " + n);
                }
                Properties p = new Properties();
                try (InputStream in = j.getInputStream(e)) {
                    p.load(in);
                }
                String pid = p.getProperty("pid", "");
                if (pid.isBlank()) {
                    throw new IOException(n + ": no pid");
                }
                Map<String, String> rename = new LinkedHashMap<>();
                Map<String, String> defaults = new LinkedHashMap<>();
                List<String> remove = new ArrayList<>();
                for (String k : p.stringPropertyNames()) {
                    if (k.startsWith("rename.")) {
                        rename.put(k.substring(7), p.getProperty(k).trim());
                    } else if (k.startsWith("default.")) {
                        defaults.put(k.substring(8), p.getProperty(k));
                    } else if (k.equals("remove")) {
                        for (String r : p.getProperty(k).split(",")) {
                            if (!r.isBlank()) {
                                remove.add(r.trim());
                            }
                        }
                    }
                }
                steps.put(Integer.parseInt(num), new Step(Integer.parseInt(num), pid.trim(), rename, remove, defaults));
            }
        }
        return List.copyOf(steps.values());
    }

    int recorded(String bsn) {
        return state.get(NS, bsn).map(b -> Integer.parseInt(new String(b, StandardCharsets.UTF_8))).orElse(0);
    }

    @Override
    public void migrate(Map<String, Path> changedJars, String job) throws IOException {
        Map<String, Object> undo = new LinkedHashMap<>(); // "pid:<pid>" -> Hashtable or "absent"; "step:<bsn>" -> Integer
        try {
            for (var e : changedJars.entrySet()) {
                List<Step> steps = steps(e.getValue());
                int done = recorded(e.getKey());
                for (Step s : steps) {
                    if (s.number() <= done) {
                        continue;
                    }
                    Configuration c = ca.getConfiguration(s.pid(), "?");
                    Dictionary<String, Object> props = c.getProperties();
                    if (props != null) {
                        undo.putIfAbsent("pid:" + s.pid(), copy(props));
                        Hashtable<String, Object> next = copy(props);
                        s.rename().forEach((from, to) -> {
                            Object v = next.remove(from);
                            if (v != null) {
                                next.put(to, v);
                            }
                        });
                        s.remove().forEach(next::remove);
                        s.defaults().forEach(next::putIfAbsent);
                        saveUndo(job, undo);
                        c.update(next);
                        log.accept("migrated " + s.pid() + " (" + e.getKey() + " step " + s.number() + ")");
                    }
                    undo.putIfAbsent("step:" + e.getKey(), done);
                    saveUndo(job, undo);
                    state.put(NS, e.getKey(), Integer.toString(s.number()).getBytes(StandardCharsets.UTF_8));
                }
            }
        } catch (IOException | RuntimeException ex) {
            undo(job);
            throw ex;
        }
    }

    @Override
    public void undo(String job) {
        Optional<byte[]> b = state.get(NS, "undo/" + job);
        if (b.isEmpty()) {
            return;
        }
        try {
            Map<String, Object> undo = read(b.get());
            for (var e : undo.entrySet()) {
                if (e.getKey().startsWith("pid:")) {
                    @SuppressWarnings("unchecked")
                    Hashtable<String, Object> props = (Hashtable<String, Object>) e.getValue();
                    Configuration c = ca.getConfiguration(e.getKey().substring(4), "?");
                    props.remove("service.pid");
                    c.update(props);
                    log.accept("restored configuration " + e.getKey().substring(4));
                } else if (e.getKey().startsWith("step:")) {
                    state.put(NS, e.getKey().substring(5), e.getValue().toString().getBytes(StandardCharsets.UTF_8));
                }
            }
            state.remove(NS, "undo/" + job);
        } catch (IOException | ClassNotFoundException | RuntimeException ex) {
            log.accept("could not restore configuration of job " + job + ": " + ex);
        }
    }

    @Override
    public void commit(String job) {
        state.remove(NS, "undo/" + job);
    }

    private void saveUndo(String job, Map<String, Object> undo) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ObjectOutputStream o = new ObjectOutputStream(out)) {
            o.writeObject(new LinkedHashMap<>(undo));
        }
        state.put(NS, "undo/" + job, out.toByteArray());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> read(byte[] b) throws IOException, ClassNotFoundException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b)) {
            @Override
            protected Class<?> resolveClass(java.io.ObjectStreamClass desc) throws IOException, ClassNotFoundException {
                // configuration values are JDK types only
                return Class.forName(desc.getName(), false, null);
            }
        }) {
            return (Map<String, Object>) in.readObject();
        }
    }

    private static Hashtable<String, Object> copy(Dictionary<String, Object> d) {
        Hashtable<String, Object> h = new Hashtable<>();
        for (String k : Collections.list(d.keys())) {
            h.put(k, d.get(k));
        }
        return h;
    }
}

package org.modhub.gprs.emulator.internal;

import com.fazecast.jSerialComm.SerialPort;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An emulated cellular modem on the far end of a serial line (in tests: one end of a socat
 * pseudo-terminal pair). It answers the 3GPP TS 27.007 commands a modem driver needs (V.250 basics,
 * {@code +CPIN}, {@code +CREG/+CGREG/+CEREG} with unsolicited result codes in the {@code n=1} and
 * {@code n=2} forms, {@code +CSQ}, {@code +COPS}, {@code +CGDCONT}, {@code +CGACT}, {@code +CGPADDR},
 * {@code +CFUN}, identification) like a real modem: echo on after power-up, numeric or verbose
 * {@code +CME ERROR} per {@code +CMEE}, PIN attempts counted down to {@code SIM PUK}.
 *
 * <p>Scriptable from tests: {@link #network(Network)} (home, roaming, denied, searching, none),
 * {@link #signal(int)}, {@link #requirePin(String)}, {@link #behaviour(Behaviour)} (garbage, silent,
 * hung until a reset), {@link #sendLine(String)} and {@link #sendRaw(byte[])} for unsolicited codes
 * and junk, and {@link #received()} to see what the driver sent.
 *
 * <p>Threads: one reader thread that also answers; no call blocks longer than the serial port's
 * write timeout. {@link #close()} stops it.
 */
public final class ModemEmulator implements AutoCloseable {
    /** What the network offers the modem: its registration status once attached (27.007 stat values). */
    public enum Network {
        NONE(0), HOME(1), SEARCHING(2), DENIED(3), UNKNOWN(4), ROAMING(5);

        final int stat;

        Network(int stat) {
            this.stat = stat;
        }

        boolean registered() {
            return this == HOME || this == ROAMING;
        }
    }

    /** How the modem answers. */
    public enum Behaviour {
        /** Answers every command correctly. */
        NORMAL,
        /** Answers correctly, but puts a line of binary junk before every answer. */
        GARBAGE,
        /** Reads and records commands, answers nothing. */
        SILENT,
        /** Like SILENT, but {@code AT+CFUN=1,1} reboots it and it answers normally again afterwards. */
        HUNG_UNTIL_RESET
    }

    public static final String IMEI = "356938035643809";
    public static final String IMSI = "234150999999999";

    private static final Pattern CPIN_SET = Pattern.compile("\\+CPIN=\"?([^\",]*)\"?(?:,.*)?");
    private static final Pattern CGDCONT_SET = Pattern.compile("\\+CGDCONT=(\\d+)(?:,\"([A-Z0-9V]+)\"(?:,\"([^\"]*)\")?)?.*");
    private static final Pattern CGACT_SET = Pattern.compile("\\+CGACT=([01])(?:,(\\d+(?:,\\d+)*))?");
    private static final Pattern CGPADDR = Pattern.compile("\\+CGPADDR(?:=(\\d+(?:,\\d+)*))?");
    private static final Pattern REG_SET = Pattern.compile("\\+C(|G|E)REG=(\\d)");
    private static final Pattern REG_QUERY = Pattern.compile("\\+C(|G|E)REG\\?");

    private final SerialPort port;
    private final Object lock = new Object();
    private final Thread reader;
    private final ScheduledExecutorService timer;
    private final List<String> received = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;

    // modem state, guarded by lock
    private Behaviour behaviour = Behaviour.NORMAL;
    private Network network = Network.HOME;
    private boolean ceregSupported = true;
    private boolean echo = true;
    private int cmee = 0;
    private int rssi = 20;
    private String operator = "modhub Mobile";
    private String lac = "00C3";
    private String cellId = "0000A1B2";
    private int act = 7;
    private String pin;
    private int pinAttempts = 3;
    private boolean simUnlocked = true;
    private boolean booting;
    private int cfun = 1;
    private final Map<Integer, Integer> regMode = new LinkedHashMap<>(Map.of(0, 0, 1, 0, 2, 0)); // "", G, E → n
    private final Map<Integer, int[]> lastStat = new LinkedHashMap<>();
    private final Map<Integer, String[]> contexts = new TreeMap<>();
    private final Map<Integer, Boolean> active = new TreeMap<>();
    private long rebootMillis = 1500;
    private int resets;

    /**
     * Opens the serial line at {@code path} (a pty or its symlink) and starts answering.
     *
     * @throws IOException if the line cannot be opened
     */
    public ModemEmulator(String path) throws IOException {
        SerialPort p = SerialPort.getCommPort(Objects.requireNonNull(path, "path"));
        p.setComPortParameters(115200, 8, SerialPort.ONE_STOP_BIT, SerialPort.NO_PARITY);
        p.setFlowControl(SerialPort.FLOW_CONTROL_DISABLED);
        p.setComPortTimeouts(SerialPort.TIMEOUT_READ_SEMI_BLOCKING | SerialPort.TIMEOUT_WRITE_BLOCKING, 200, 2000);
        if (!p.openPort()) {
            throw new IOException("cannot open " + path + " (error " + p.getLastErrorCode() + ")");
        }
        this.port = p;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "modem-emulator-timer");
            t.setDaemon(true);
            return t;
        });
        this.reader = new Thread(this::readLoop, "modem-emulator-" + path);
        this.reader.setDaemon(true);
        this.reader.start();
    }

    // ---------------------------------------------------------------- scripting

    /** Sets what the network offers; the modem reports the change with unsolicited codes where enabled. */
    public ModemEmulator network(Network n) {
        synchronized (lock) {
            network = Objects.requireNonNull(n);
            registrationChanged();
        }
        return this;
    }

    /** Sets the {@code +CSQ} rssi, 0..31 or 99 (unknown). */
    public ModemEmulator signal(int newRssi) {
        if ((newRssi < 0 || newRssi > 31) && newRssi != 99) {
            throw new IllegalArgumentException("rssi out of 0..31, 99: " + newRssi);
        }
        synchronized (lock) {
            rssi = newRssi;
        }
        return this;
    }

    /** The SIM requires this PIN from now on (after the next reboot too); three wrong attempts block it. */
    public ModemEmulator requirePin(String newPin) {
        synchronized (lock) {
            pin = newPin;
            pinAttempts = 3;
            simUnlocked = newPin == null;
            registrationChanged();
        }
        return this;
    }

    public ModemEmulator behaviour(Behaviour b) {
        synchronized (lock) {
            behaviour = Objects.requireNonNull(b);
        }
        return this;
    }

    /** Whether the modem knows {@code +CEREG} (an LTE modem does; a 2G/3G one answers ERROR). */
    public ModemEmulator ceregSupported(boolean supported) {
        synchronized (lock) {
            ceregSupported = supported;
        }
        return this;
    }

    public ModemEmulator operator(String name) {
        synchronized (lock) {
            operator = name;
        }
        return this;
    }

    /** Sets the serving cell reported in the {@code n=2} forms and the access technology (27.007 AcT). */
    public ModemEmulator cell(String newLac, String newCellId, int newAct) {
        synchronized (lock) {
            lac = newLac;
            cellId = newCellId;
            act = newAct;
            registrationChanged();
        }
        return this;
    }

    /** How long a reboot ({@code AT+CFUN=1,1}) keeps the modem silent. */
    public ModemEmulator rebootMillis(long millis) {
        synchronized (lock) {
            rebootMillis = millis;
        }
        return this;
    }

    /** Sends one line as an unsolicited result code ({@code \r\n line \r\n}). */
    public void sendLine(String line) {
        write("\r\n" + line + "\r\n");
    }

    /** Sends raw bytes, e.g. junk or an over-long line. */
    public void sendRaw(byte[] bytes) {
        writeBytes(bytes);
    }

    /** Every command line received so far, in order, whatever the behaviour (echo not included). */
    public List<String> received() {
        return List.copyOf(received);
    }

    /** How many times {@code AT+CFUN=1,1} rebooted the modem. */
    public int resets() {
        synchronized (lock) {
            return resets;
        }
    }

    public int pinAttemptsLeft() {
        synchronized (lock) {
            return pinAttempts;
        }
    }

    /** Whether PDP context {@code cid} is active. */
    public boolean pdpActive(int cid) {
        synchronized (lock) {
            return Boolean.TRUE.equals(active.get(cid));
        }
    }

    /** The APN defined for context {@code cid}, or null. */
    public String apn(int cid) {
        synchronized (lock) {
            String[] c = contexts.get(cid);
            return c == null ? null : c[1];
        }
    }

    @Override
    public void close() {
        running = false;
        timer.shutdownNow();
        try {
            reader.join(3000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        port.closePort();
    }

    // ---------------------------------------------------------------- line handling

    private void readLoop() {
        byte[] buf = new byte[256];
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (running) {
            int n = port.readBytes(buf, buf.length);
            if (n < 0) {
                if (!running) {
                    return;
                }
                sleep(100); // peer closed or transient error; try again until closed
                continue;
            }
            for (int i = 0; i < n; i++) {
                byte b = buf[i];
                if (b == '\r') {
                    String cmd = line.toString(StandardCharsets.ISO_8859_1);
                    line.reset();
                    handleLine(cmd);
                } else if (b != '\n' && line.size() < 4096) {
                    line.write(b);
                }
            }
        }
    }

    private void handleLine(String raw) {
        String cmd = raw.trim();
        if (cmd.isEmpty()) {
            return;
        }
        received.add(cmd);
        StringBuilder out = new StringBuilder();
        synchronized (lock) {
            switch (behaviour) {
                case SILENT:
                    return;
                case HUNG_UNTIL_RESET:
                    if (cmd.equalsIgnoreCase("AT+CFUN=1,1")) {
                        behaviour = Behaviour.NORMAL;
                        reboot();
                    }
                    return;
                default:
                    break;
            }
            if (booting) {
                return; // a rebooting modem reads nothing
            }
            if (echo) {
                out.append(raw).append('\r');
            }
            if (behaviour == Behaviour.GARBAGE) {
                out.append("\r\n\u0001\u00ff\u00fe#\u0007+CSQ: ,,\u0000garbage\r\n");
            }
            out.append(answer(cmd));
        }
        write(out.toString());
    }

    /** The answer to one command line, final result code included. Called with the lock held. */
    private String answer(String line) {
        String upper = line.toUpperCase(Locale.ROOT);
        if (!upper.startsWith("AT")) {
            return error(100);
        }
        String body = upper.substring(2);
        String bodyRaw = line.substring(2); // keeps the case of quoted strings (PIN, APN)
        if (body.isEmpty()) {
            return ok();
        }
        if (body.equals("Z") || body.equals("Z0")) {
            echo = true;
            cmee = 0;
            regMode.replaceAll((k, v) -> 0);
            return ok();
        }
        if (body.equals("E0") || body.equals("E1") || body.equals("E")) {
            echo = body.equals("E1");
            return ok();
        }
        if (body.equals("I")) {
            return info("modhub EMU-27007 rev 1.0") + ok();
        }
        if (body.equals("+CGMI")) {
            return info("modhub") + ok();
        }
        if (body.equals("+CGMM")) {
            return info("EMU-27007") + ok();
        }
        if (body.equals("+CGSN") || body.equals("+GSN")) {
            return info(IMEI) + ok();
        }
        if (body.equals("+CIMI")) {
            return simReady() ? info(IMSI) + ok() : error(simError());
        }
        if (body.startsWith("+CMEE=")) {
            String v = body.substring(6);
            if (!v.matches("[012]")) {
                return error(50);
            }
            cmee = Integer.parseInt(v);
            return ok();
        }
        if (body.equals("+CFUN?")) {
            return info("+CFUN: " + cfun) + ok();
        }
        if (body.equals("+CFUN=1,1")) {
            reboot();
            return ok();
        }
        if (body.matches("\\+CFUN=[014]")) {
            cfun = body.charAt(6) - '0';
            registrationChanged();
            return ok();
        }
        if (body.equals("+CPIN?")) {
            if (pin != null && pinAttempts == 0) {
                return info("+CPIN: SIM PUK") + ok();
            }
            return info(simUnlocked ? "+CPIN: READY" : "+CPIN: SIM PIN") + ok();
        }
        if (body.startsWith("+CPIN=")) {
            Matcher pm = CPIN_SET.matcher(bodyRaw.substring(0, 6).toUpperCase(Locale.ROOT) + bodyRaw.substring(6));
            return pm.matches() ? enterPin(pm.group(1)) : error(50);
        }
        Matcher m = REG_SET.matcher(body);
        if (m.matches()) {
            int type = regType(m.group(1));
            int n = Integer.parseInt(m.group(2));
            if (type == 2 && !ceregSupported) {
                return error(100);
            }
            if (n > (type == 2 ? 5 : 3)) {
                return error(50);
            }
            regMode.put(type, n);
            return ok();
        }
        m = REG_QUERY.matcher(body);
        if (m.matches()) {
            int type = regType(m.group(1));
            if (type == 2 && !ceregSupported) {
                return error(100);
            }
            int n = regMode.get(type);
            return info(regPrefix(type) + ": " + n + "," + regFields(type, n >= 2)) + ok();
        }
        if (body.equals("+CSQ")) {
            return info("+CSQ: " + rssi + ",99") + ok();
        }
        if (body.equals("+COPS?")) {
            return info(effective().registered() ? "+COPS: 0,0,\"" + operator + "\"," + act : "+COPS: 0") + ok();
        }
        if (body.equals("+CGDCONT?")) {
            StringBuilder sb = new StringBuilder();
            contexts.forEach((cid, c) -> sb.append(info("+CGDCONT: " + cid + ",\"" + c[0] + "\",\"" + c[1]
                    + "\",\"0.0.0.0\",0,0")));
            return sb + ok();
        }
        m = CGDCONT_SET.matcher(body);
        if (m.matches()) {
            int cid = Integer.parseInt(m.group(1));
            if (cid < 1 || cid > 24) {
                return error(50);
            }
            if (m.group(2) == null) {
                contexts.remove(cid);
                active.remove(cid);
                return ok();
            }
            if (Boolean.TRUE.equals(active.get(cid))) {
                return error(3); // operation not allowed while active
            }
            String type = m.group(2);
            if (!type.equals("IP") && !type.equals("IPV6") && !type.equals("IPV4V6")) {
                return error(50);
            }
            Matcher raw = Pattern.compile(",\"[^\"]*\",\"([^\"]*)\"").matcher(bodyRaw);
            String apn = raw.find() ? raw.group(1) : "";
            contexts.put(cid, new String[] {type, apn});
            return ok();
        }
        if (body.equals("+CGACT?")) {
            StringBuilder sb = new StringBuilder();
            contexts.keySet().forEach(cid -> sb.append(info("+CGACT: " + cid + "," + (pdpActive0(cid) ? 1 : 0))));
            return sb + ok();
        }
        m = CGACT_SET.matcher(body);
        if (m.matches()) {
            boolean on = m.group(1).equals("1");
            List<Integer> cids = new ArrayList<>();
            if (m.group(2) == null) {
                cids.addAll(contexts.keySet());
            } else {
                for (String s : m.group(2).split(",")) {
                    cids.add(Integer.parseInt(s));
                }
            }
            for (int cid : cids) {
                if (!contexts.containsKey(cid)) {
                    return error(50);
                }
            }
            if (on && !simReady()) {
                return error(simError());
            }
            if (on && !effective().registered()) {
                return error(30); // no network service
            }
            for (int cid : cids) {
                active.put(cid, on);
            }
            return ok();
        }
        m = CGPADDR.matcher(body);
        if (m.matches()) {
            StringBuilder sb = new StringBuilder();
            List<Integer> cids = new ArrayList<>();
            if (m.group(1) == null) {
                cids.addAll(contexts.keySet());
            } else {
                for (String s : m.group(1).split(",")) {
                    cids.add(Integer.parseInt(s));
                }
            }
            for (int cid : cids) {
                if (!contexts.containsKey(cid)) {
                    return error(50);
                }
                sb.append(info("+CGPADDR: " + cid + (pdpActive0(cid) ? ",\"10.64.0." + (cid + 1) + "\"" : "")));
            }
            return sb + ok();
        }
        return error(4); // operation not supported
    }

    private String enterPin(String given) {
        if (pin == null || simUnlocked) {
            return error(3); // operation not allowed: no PIN wanted
        }
        if (pinAttempts == 0) {
            return error(12); // SIM PUK required
        }
        if (pin.equals(given)) {
            simUnlocked = true;
            pinAttempts = 3;
            String result = ok();
            timer.schedule(() -> {
                synchronized (lock) {
                    registrationChanged();
                }
            }, 200, TimeUnit.MILLISECONDS);
            return result;
        }
        pinAttempts--;
        return error(pinAttempts == 0 ? 12 : 16); // incorrect password
    }

    private boolean simReady() {
        return pin == null || simUnlocked;
    }

    private int simError() {
        return pin != null && pinAttempts == 0 ? 12 : 11; // SIM PUK / SIM PIN required
    }

    private boolean pdpActive0(int cid) {
        return Boolean.TRUE.equals(active.get(cid));
    }

    private void reboot() {
        resets++;
        booting = true;
        echo = true;
        cmee = 0;
        cfun = 1;
        regMode.replaceAll((k, v) -> 0);
        active.clear();
        if (pin != null) {
            simUnlocked = false;
        }
        lastStat.clear();
        long delay = rebootMillis;
        timer.schedule(() -> {
            synchronized (lock) {
                booting = false;
                registrationChanged();
            }
            write("\r\nRDY\r\n");
        }, delay, TimeUnit.MILLISECONDS);
    }

    /** What the modem is registered as now. */
    private Network effective() {
        if (booting || cfun != 1 || !simReady()) {
            return Network.NONE;
        }
        return network;
    }

    /** Sends unsolicited codes for every registration type whose status or cell changed. Lock held. */
    private void registrationChanged() {
        Network eff = effective();
        if (!eff.registered()) {
            active.clear(); // the network tears PDP contexts down on detach
        }
        StringBuilder out = new StringBuilder();
        for (int type = 0; type < 3; type++) {
            if (type == 2 && !ceregSupported) {
                continue;
            }
            int[] now = {eff.stat, (lac + cellId + act).hashCode()};
            int[] before = lastStat.put(type, now);
            int n = regMode.get(type);
            boolean changed = before == null || before[0] != now[0] || (n >= 2 && before[1] != now[1]);
            boolean answering = behaviour == Behaviour.NORMAL || behaviour == Behaviour.GARBAGE;
            if (changed && n >= 1 && !booting && answering) {
                out.append("\r\n").append(regPrefix(type)).append(": ").append(regFields(type, n >= 2)).append("\r\n");
            }
        }
        if (out.length() > 0) {
            String s = out.toString();
            timer.execute(() -> write(s));
        }
    }

    private String regFields(int type, boolean withCell) {
        Network eff = effective();
        String s = Integer.toString(eff.stat);
        if (withCell && eff != Network.NONE && eff != Network.UNKNOWN) {
            s += ",\"" + lac + "\",\"" + cellId + "\"," + act;
        }
        return s;
    }

    private static int regType(String letter) {
        return letter.isEmpty() ? 0 : letter.equals("G") ? 1 : 2;
    }

    private static String regPrefix(int type) {
        return type == 0 ? "+CREG" : type == 1 ? "+CGREG" : "+CEREG";
    }

    private String info(String s) {
        return "\r\n" + s + "\r\n";
    }

    private String ok() {
        return "\r\nOK\r\n";
    }

    private String error(int code) {
        return switch (cmee) {
            case 1 -> "\r\n+CME ERROR: " + code + "\r\n";
            case 2 -> "\r\n+CME ERROR: " + verbose(code) + "\r\n";
            default -> "\r\nERROR\r\n";
        };
    }

    private static String verbose(int code) {
        return switch (code) {
            case 3 -> "operation not allowed";
            case 4 -> "operation not supported";
            case 11 -> "SIM PIN required";
            case 12 -> "SIM PUK required";
            case 16 -> "incorrect password";
            case 30 -> "no network service";
            case 50 -> "incorrect parameters";
            default -> "unknown";
        };
    }

    private void write(String s) {
        writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private void writeBytes(byte[] b) {
        synchronized (port) {
            if (running) {
                port.writeBytes(b, b.length);
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package org.modhub.umi.internal;

import gurux.dlms.GXByteBuffer;
import gurux.dlms.GXDLMSException;
import gurux.dlms.GXDateTime;
import gurux.dlms.GXReplyData;
import gurux.dlms.enums.Authentication;
import gurux.dlms.enums.InterfaceType;
import gurux.dlms.enums.Security;
import gurux.dlms.objects.GXDLMSCaptureObject;
import gurux.dlms.objects.GXDLMSClock;
import gurux.dlms.objects.GXDLMSDisconnectControl;
import gurux.dlms.objects.GXDLMSObject;
import gurux.dlms.objects.GXDLMSProfileGeneric;
import gurux.dlms.objects.GXDLMSRegister;
import gurux.dlms.secure.GXDLMSSecureClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TimeZone;
import org.modhub.api.common.Eui64;
import org.modhub.api.metering.ObisCode;
import org.modhub.api.metering.ProfileSample;
import org.modhub.api.metering.Reading;
import org.modhub.api.metering.Unit;

/**
 * The hub's DLMS/COSEM client to the metrology module (gurux.dlms): logical-name referencing, High
 * Level Security with GMAC, security suite 0 (AES-GCM-128, authenticated and encrypted APDUs), the
 * hub's system title and an invocation counter that is never reused. One association per instance;
 * not thread-safe (the link component serialises its use).
 */
public final class UmiClient implements AutoCloseable {
    /** Disconnect-control modes in which a remote reconnect only arms the supply (ready for reconnection). */
    static final int[] ARM_ONLY_MODES = {2, 4, 6};

    /** Settings of one link. */
    public record LinkSettings(int clientAddress, int serverAddress, byte[] systemTitle, byte[] blockCipherKey,
            byte[] authenticationKey, Duration responseTimeout, Duration clockWindow) {
        public LinkSettings {
            if (systemTitle == null || systemTitle.length != 8) {
                throw new IllegalArgumentException("systemTitle: must have 8 bytes");
            }
            if (blockCipherKey == null || blockCipherKey.length != 16) {
                throw new IllegalArgumentException("blockCipherKey: must have 16 bytes (suite 0)");
            }
            if (authenticationKey == null || authenticationKey.length != 16) {
                throw new IllegalArgumentException("authenticationKey: must have 16 bytes (suite 0)");
            }
            Objects.requireNonNull(responseTimeout, "responseTimeout");
            Objects.requireNonNull(clockWindow, "clockWindow");
        }
    }

    /** The disconnect control's state as read from the meter. */
    public record SupplyStatus(boolean outputConnected, String controlState, int controlMode) {
    }

    private final Transport transport;
    private final LinkSettings settings;
    private final InvocationCounter counter;
    private final Eui64 meter;
    private final GXDLMSSecureClient client;
    private GXDLMSProfileGeneric profile;
    private boolean associated;
    /** The meter's invocation counter in the last accepted ciphered response (-1: none yet). */
    private long lastServerCounter = -1;

    /** How APDUs are framed on the link. */
    public enum Framing {
        /** The DLMS TCP/UDP wrapper (IEC 62056-47). */
        WRAPPER,
        /** HDLC (IEC 62056-46) on a serial line. */
        HDLC
    }

    private final Framing framing;
    private final boolean secured;

    /**
     * An unciphered association without authentication, as a meter's public client gets: for the
     * benchmark's peer and diagnostics only; the link component always uses HLS-GMAC.
     */
    public static UmiClient publicUnciphered(Transport transport, LinkSettings settings, InvocationCounter counter,
            Eui64 meter) {
        return new UmiClient(transport, settings, counter, meter, Framing.WRAPPER, false);
    }

    public UmiClient(Transport transport, LinkSettings settings, InvocationCounter counter, Eui64 meter) {
        this(transport, settings, counter, meter, Framing.WRAPPER);
    }

    public UmiClient(Transport transport, LinkSettings settings, InvocationCounter counter, Eui64 meter,
            Framing framing) {
        this(transport, settings, counter, meter, framing, true);
    }

    private UmiClient(Transport transport, LinkSettings settings, InvocationCounter counter, Eui64 meter,
            Framing framing, boolean secured) {
        this.transport = transport;
        this.settings = settings;
        this.counter = counter;
        this.meter = meter;
        this.framing = framing;
        this.secured = secured;
        this.client = new GXDLMSSecureClient(true, settings.clientAddress(), settings.serverAddress(),
                secured ? Authentication.HIGH_GMAC : Authentication.NONE, null,
                framing == Framing.HDLC ? InterfaceType.HDLC : InterfaceType.WRAPPER);
        client.getCiphering().setSecurity(secured ? Security.AUTHENTICATION_ENCRYPTION : Security.NONE);
        client.getCiphering().setSystemTitle(settings.systemTitle());
        client.getCiphering().setBlockCipherKey(settings.blockCipherKey());
        client.getCiphering().setAuthenticationKey(settings.authenticationKey());
    }

    /** Opens the association: AARQ with HLS-GMAC, then the reply to the meter's challenge. */
    public void associate() throws UmiException {
        client.getCiphering().setInvocationCounter(counter.start());
        try {
            GXReplyData reply = new GXReplyData();
            if (framing == Framing.HDLC) {
                byte[] snrm = client.snrmRequest();
                if (snrm.length > 0) {
                    packet(snrm, reply);
                    client.parseUAResponse(reply.getData());
                    reply.clear();
                }
            }
            exchange(client.aarqRequest(), reply);
            client.parseAareResponse(reply.getData());
            if (secured) {
                reply.clear();
                exchange(client.getApplicationAssociationRequest(), reply);
                client.parseApplicationAssociationResponse(reply.getData());
            }
            associated = true;
        } catch (UmiException.MeterTimeoutException | UmiException.LinkException e) {
            throw e;
        } catch (UmiException | GXDLMSException e) {
            throw new UmiException.AssociationRefusedException("meter refused the HLS-GMAC association: " + e.getMessage(), e);
        } catch (Exception e) {
            throw new UmiException.AssociationRefusedException("HLS-GMAC association failed: " + e, e);
        }
    }

    public boolean isAssociated() {
        return associated;
    }

    /** The invocation counter the next ciphered APDU will carry. */
    public long invocationCounter() {
        return client.getCiphering().getInvocationCounter();
    }

    // ---- reads ----

    public Instant readClock() throws UmiException {
        GXDLMSClock clock = new GXDLMSClock(ObisCodes.CLOCK);
        Object v = read(clock, 2);
        return toInstant(v == null ? clock.getTime() : v);
    }

    /** A register (class 3): value and scaler/unit. */
    public Reading readRegister(ObisCode obis) throws UmiException {
        GXDLMSRegister r = new GXDLMSRegister(obis.toString());
        read(r, 3);
        Object value = read(r, 2);
        Instant at = Instant.now();
        if (!(value instanceof Number n)) {
            throw new UmiException.MalformedResponseException("register " + obis + " value is not a number: " + value, null);
        }
        int scaler = (int) Math.round(Math.log10(r.getScaler()));
        Unit unit = Unit.fromDlms(r.getUnit().getValue())
                .orElseThrow(() -> new UmiException.MalformedResponseException("register " + obis + " has unit "
                        + r.getUnit() + ", which the metering model does not know", null));
        return new Reading(meter, obis, at, n.longValue(), scaler, unit);
    }

    /**
     * Reads the load profile's rows in {@code [from, to]} by range (selective access by the clock
     * column) and returns the consumption of each interval whose start row is in the range too: a
     * caller that reads incrementally passes the last interval end it stored as {@code from}.
     */
    public List<ProfileSample> readLoadProfile(Instant from, Instant to) throws UmiException {
        GXDLMSProfileGeneric pg = profile();
        GXReplyData reply = new GXReplyData();
        try {
            exchange(client.readRowsByRange(pg, Date.from(from), Date.from(to)), reply);
            client.updateValue(pg, 2, reply.getValue());
        } catch (UmiException e) {
            throw e;
        } catch (Exception e) {
            throw new UmiException.MalformedResponseException("load profile response: " + e, e);
        }
        Object[] rows = pg.getBuffer();
        List<ProfileSample> out = new ArrayList<>();
        Instant prevEnd = null;
        long prevImport = 0;
        long prevExport = 0;
        Duration period = Duration.ofSeconds(pg.getCapturePeriod() > 0 ? pg.getCapturePeriod() : 1800);
        for (Object row : rows) {
            if (!(row instanceof Object[] cells) || cells.length < 3 || !(cells[1] instanceof Number imp)
                    || !(cells[2] instanceof Number exp)) {
                throw new UmiException.MalformedResponseException("load profile row is not (clock, import, export)", null);
            }
            Instant end = toInstant(cells[0]);
            if (prevEnd != null && Duration.between(prevEnd, end).equals(period)) {
                out.add(new ProfileSample(meter, ObisCodes.IMPORT, end, period, imp.longValue() - prevImport, 0,
                        Unit.WATT_HOUR, null));
                out.add(new ProfileSample(meter, ObisCodes.EXPORT, end, period, exp.longValue() - prevExport, 0,
                        Unit.WATT_HOUR, null));
            }
            prevEnd = end;
            prevImport = imp.longValue();
            prevExport = exp.longValue();
        }
        return out;
    }

    private GXDLMSProfileGeneric profile() throws UmiException {
        if (profile == null) {
            GXDLMSProfileGeneric pg = new GXDLMSProfileGeneric(ObisCodes.LOAD_PROFILE.toString());
            read(pg, 3); // capture objects
            read(pg, 4); // capture period
            List<Map.Entry<GXDLMSObject, GXDLMSCaptureObject>> columns = pg.getCaptureObjects();
            if (columns.size() < 3) {
                throw new UmiException.MalformedResponseException("load profile has " + columns.size()
                        + " columns, expected clock, import, export", null);
            }
            profile = pg;
        }
        return profile;
    }

    /** The meter's event log: (time, event code) rows. */
    public List<Map.Entry<Instant, Integer>> readEventLog() throws UmiException {
        GXDLMSProfileGeneric pg = new GXDLMSProfileGeneric(ObisCodes.EVENT_LOG);
        read(pg, 3);
        read(pg, 2);
        List<Map.Entry<Instant, Integer>> out = new ArrayList<>();
        for (Object row : pg.getBuffer()) {
            if (!(row instanceof Object[] cells) || cells.length < 2 || !(cells[1] instanceof Number code)) {
                throw new UmiException.MalformedResponseException("event log row is not (clock, code)", null);
            }
            out.add(Map.entry(toInstant(cells[0]), code.intValue()));
        }
        return out;
    }

    // ---- clock set ----

    /**
     * Sets the meter clock to {@code target}, only if it is within the validity window of the meter's
     * current time (meters refuse large jumps; a larger correction needs a site visit or steps).
     *
     * @throws UmiException.RefusedException if the change is outside the window (nothing is sent)
     * @throws UmiException.MeterErrorException if the meter refused it
     */
    public Duration setClock(Instant target) throws UmiException {
        Instant meterNow = readClock();
        Duration change = Duration.between(meterNow, target);
        if (change.abs().compareTo(settings.clockWindow()) > 0) {
            throw new UmiException.RefusedException("clock change of " + change.toMillis() + " ms exceeds the validity "
                    + "window of " + settings.clockWindow().toMillis() + " ms; not sent");
        }
        GXDLMSClock clock = new GXDLMSClock(ObisCodes.CLOCK);
        clock.setTime(dateTime(target));
        GXReplyData reply = new GXReplyData();
        try {
            exchange(client.write(clock, 2), reply);
        } catch (UmiException e) {
            throw e;
        } catch (Exception e) {
            throw new UmiException.MalformedResponseException("clock write: " + e, e);
        }
        return change;
    }

    // ---- disconnect control ----

    public SupplyStatus readSupply() throws UmiException {
        GXDLMSDisconnectControl dc = new GXDLMSDisconnectControl(ObisCodes.DISCONNECT_CONTROL.toString());
        read(dc, 2);
        read(dc, 3);
        read(dc, 4);
        return new SupplyStatus(dc.getOutputState(), dc.getControlState().name(), dc.getControlMode().ordinal());
    }

    /** Opens the supply (remote disconnect, method 1). */
    public SupplyStatus disconnectSupply() throws UmiException {
        GXDLMSDisconnectControl dc = new GXDLMSDisconnectControl(ObisCodes.DISCONNECT_CONTROL.toString());
        invoke(() -> dc.remoteDisconnect(client));
        return readSupply();
    }

    /**
     * Arms reconnection (remote reconnect, method 2) only where the meter's control mode makes that
     * "ready for reconnection": a person on site then closes the supply. In a mode where a remote
     * reconnect would close the supply directly, nothing is sent.
     *
     * @throws UmiException.RefusedException in a mode where the remote reconnect would close the supply
     */
    public SupplyStatus armReconnection() throws UmiException {
        SupplyStatus before = readSupply();
        boolean armOnly = false;
        for (int m : ARM_ONLY_MODES) {
            armOnly |= before.controlMode() == m;
        }
        if (!armOnly) {
            throw new UmiException.RefusedException("the meter's disconnect control mode " + before.controlMode()
                    + " would close the supply on a remote reconnect; the hub only arms reconnection (modes 2, 4, 6)");
        }
        GXDLMSDisconnectControl dc = new GXDLMSDisconnectControl(ObisCodes.DISCONNECT_CONTROL.toString());
        invoke(() -> dc.remoteReconnect(client));
        SupplyStatus after = readSupply();
        if (after.outputConnected()) {
            throw new UmiException.MeterErrorException("the supply closed on a remote reconnect (state "
                    + after.controlState() + "); the meter does not honour its control mode", 0);
        }
        return after;
    }

    /**
     * A remote request to close the supply: always refused. The contactor is not a safety device; a
     * person on site closes it after the hub armed it.
     */
    public void closeSupply() throws UmiException.RefusedException {
        throw new UmiException.RefusedException("closing the supply remotely is not allowed: the hub only arms "
                + "reconnection; a person on site closes the supply");
    }

    // ---- plumbing ----

    private interface Request {
        byte[][] build() throws Exception;
    }

    private void invoke(Request request) throws UmiException {
        GXReplyData reply = new GXReplyData();
        byte[][] frames;
        try {
            frames = request.build();
        } catch (Exception e) {
            throw new UmiException("cannot build request: " + e, e);
        }
        exchange(frames, reply);
    }

    private Object read(GXDLMSObject object, int attribute) throws UmiException {
        GXReplyData reply = new GXReplyData();
        try {
            exchange(client.read(object, attribute), reply);
            return client.updateValue(object, attribute, reply.getValue());
        } catch (UmiException e) {
            throw e;
        } catch (Exception e) {
            throw new UmiException.MalformedResponseException("reading " + object.getLogicalName() + " attribute "
                    + attribute + ": " + e, e);
        }
    }

    private void exchange(byte[][] frames, GXReplyData reply) throws UmiException {
        for (byte[] frame : frames) {
            packet(frame, reply);
            while (reply.isMoreData()) {
                packet(client.receiverReady(reply), reply);
            }
        }
    }

    private void packet(byte[] frame, GXReplyData reply) throws UmiException {
        if (frame == null || frame.length == 0) {
            return;
        }
        counter.ensure(client.getCiphering().getInvocationCounter() + 1);
        transport.write(frame);
        Instant deadline = Instant.now().plus(settings.responseTimeout());
        GXByteBuffer received = new GXByteBuffer();
        GXReplyData notify = new GXReplyData();
        java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
        try {
            boolean complete;
            do {
                byte[] chunk = transport.read(deadline);
                raw.write(chunk, 0, chunk.length);
                received.set(chunk);
                complete = client.getData(received, reply, notify);
            } while (!complete);
            if (framing == Framing.WRAPPER) {
                java.util.OptionalLong ic = ResponseCounter.of(raw.toByteArray());
                if (ic.isPresent()) {
                    if (ic.getAsLong() <= lastServerCounter) {
                        throw new UmiException.ReplayException("response invocation counter " + ic.getAsLong()
                                + " is not above the last accepted " + lastServerCounter + " (replay)");
                    }
                    lastServerCounter = ic.getAsLong();
                }
            }
        } catch (UmiException e) {
            throw e;
        } catch (GXDLMSException e) {
            throw new UmiException.MeterErrorException("meter error: " + e.getMessage(), e.getErrorCode());
        } catch (Exception e) {
            throw new UmiException.MalformedResponseException("malformed response from the meter: " + e, e);
        }
        if (reply.getError() != 0) {
            throw new UmiException.MeterErrorException("meter answered with error " + reply.getError() + " ("
                    + reply.getErrorMessage() + ")", reply.getError());
        }
    }

    static GXDateTime dateTime(Instant t) {
        Calendar c = Calendar.getInstance(TimeZone.getTimeZone("UTC"));
        c.setTime(Date.from(t));
        return new GXDateTime(c);
    }

    static Instant toInstant(Object v) throws UmiException.MalformedResponseException {
        if (v instanceof GXDateTime dt) {
            return dt.getMeterCalendar().toInstant();
        }
        throw new UmiException.MalformedResponseException("not a date-time: " + v, null);
    }

    /** Releases the association and closes the link. */
    @Override
    public void close() {
        try {
            if (associated) {
                GXReplyData reply = new GXReplyData();
                exchange(client.releaseRequest(), reply);
                if (framing == Framing.HDLC) {
                    reply.clear();
                    packet(client.disconnectRequest(), reply);
                }
            }
        } catch (Exception ignored) {
            // best effort: the link closes anyway
        } finally {
            associated = false;
            transport.close();
        }
    }
}

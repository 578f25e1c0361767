package org.modhub.emulator.umi.internal;

import gurux.dlms.GXDLMSClient;
import gurux.dlms.GXDLMSConnectionEventArgs;
import gurux.dlms.GXDateTime;
import gurux.dlms.ValueEventArgs;
import gurux.dlms.enums.AccessMode;
import gurux.dlms.enums.Authentication;
import gurux.dlms.enums.MethodAccessMode;
import gurux.dlms.enums.DataType;
import gurux.dlms.enums.ErrorCode;
import gurux.dlms.enums.InterfaceType;
import gurux.dlms.enums.ObjectType;
import gurux.dlms.enums.Security;
import gurux.dlms.enums.SourceDiagnostic;
import gurux.dlms.enums.Unit;
import gurux.dlms.objects.GXDLMSAssociationLogicalName;
import gurux.dlms.objects.GXDLMSClock;
import gurux.dlms.objects.GXDLMSData;
import gurux.dlms.objects.GXDLMSDisconnectControl;
import gurux.dlms.objects.GXDLMSObject;
import gurux.dlms.objects.GXDLMSProfileGeneric;
import gurux.dlms.objects.GXDLMSRegister;
import gurux.dlms.objects.enums.ControlMode;
import gurux.dlms.objects.enums.ControlState;
import gurux.dlms.secure.GXDLMSSecureServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.function.Function;

/**
 * One DLMS association to the emulated meter (a gurux server instance holds per-connection state):
 * logical-name referencing, High Level Security with GMAC (security suite 0: AES-GCM-128,
 * authentication and encryption), over the TCP wrapper or HDLC. Values come from the shared {@link MeterModel}.
 */
final class MeterSession extends GXDLMSSecureServer {
    static final String CLOCK = "0.0.1.0.0.255";
    static final String LOAD_PROFILE = "1.0.99.1.0.255";
    static final String EVENT_LOG = "0.0.99.98.0.255";
    static final String EVENT_CODE = "0.0.96.11.0.255";
    static final String DISCONNECT = "0.0.96.3.10.255";

    private final MeterModel model;
    private final boolean allowPublicClient;
    private final GXDLMSClock clock = new GXDLMSClock(CLOCK);
    private final Map<GXDLMSObject, Function<Instant, Long>> registers = new HashMap<>();
    private final GXDLMSProfileGeneric profile = new GXDLMSProfileGeneric(LOAD_PROFILE);
    private final GXDLMSProfileGeneric eventLog = new GXDLMSProfileGeneric(EVENT_LOG);
    private final GXDLMSDisconnectControl disconnect = new GXDLMSDisconnectControl(DISCONNECT);

    MeterSession(MeterModel model, MeterKeys keys, InterfaceType interfaceType) {
        this(model, keys, interfaceType, false);
    }

    /** @param allowPublicClient also accept an unciphered association without authentication (benchmark peer) */
    MeterSession(MeterModel model, MeterKeys keys, InterfaceType interfaceType, boolean allowPublicClient) {
        super(true, interfaceType);
        this.model = model;
        this.allowPublicClient = allowPublicClient;
        getCiphering().setSecurity(Security.AUTHENTICATION_ENCRYPTION);
        getCiphering().setSystemTitle(keys.systemTitle());
        getCiphering().setBlockCipherKey(keys.blockCipherKey());
        getCiphering().setAuthenticationKey(keys.authenticationKey());

        GXDLMSAssociationLogicalName association = new GXDLMSAssociationLogicalName();
        association.getAuthenticationMechanismName().setMechanismId(Authentication.HIGH_GMAC);
        association.setClientSAP(1);
        association.setMethodAccess(1, MethodAccessMode.ACCESS); // reply_to_HLS_authentication
        getItems().add(association);
        clock.setAccess(2, AccessMode.READ_WRITE);
        getItems().add(clock);

        GXDLMSRegister importTotal = register("1.0.1.8.0.255", Unit.ACTIVE_ENERGY, model::importWh);
        register("1.0.1.8.1.255", Unit.ACTIVE_ENERGY, t -> model.importTariffWh(t, 1));
        register("1.0.1.8.2.255", Unit.ACTIVE_ENERGY, t -> model.importTariffWh(t, 2));
        GXDLMSRegister exportTotal = register("1.0.2.8.0.255", Unit.ACTIVE_ENERGY, model::exportWh);
        register("1.0.2.8.1.255", Unit.ACTIVE_ENERGY, t -> model.exportTariffWh(t, 1));
        register("1.0.2.8.2.255", Unit.ACTIVE_ENERGY, t -> model.exportTariffWh(t, 2));
        register("1.0.1.7.0.255", Unit.ACTIVE_POWER, model::importW);
        register("1.0.2.7.0.255", Unit.ACTIVE_POWER, model::exportW);

        profile.addCaptureObject(clock, 2, 0);
        profile.addCaptureObject(importTotal, 2, 0);
        profile.addCaptureObject(exportTotal, 2, 0);
        profile.setCapturePeriod(MeterModel.PROFILE_PERIOD.toSeconds());
        profile.setProfileEntries(19_056);
        profile.setSortObject(clock);
        getItems().add(profile);

        GXDLMSData eventCode = new GXDLMSData(EVENT_CODE);
        eventCode.setValue(0);
        getItems().add(eventCode);
        eventLog.addCaptureObject(clock, 2, 0);
        eventLog.addCaptureObject(eventCode, 2, 0);
        eventLog.setProfileEntries(100);
        getItems().add(eventLog);

        disconnect.setControlMode(ControlMode.values()[model.controlMode()]);
        disconnect.setMethodAccess(1, MethodAccessMode.ACCESS); // remote_disconnect
        disconnect.setMethodAccess(2, MethodAccessMode.ACCESS); // remote_reconnect
        getItems().add(disconnect);
        initialize();
    }

    private GXDLMSRegister register(String ln, Unit unit, Function<Instant, Long> value) {
        GXDLMSRegister r = new GXDLMSRegister(ln);
        r.setUnit(unit);
        r.setScaler(1);
        r.setValue(value.apply(Instant.now()));
        getItems().add(r);
        registers.put(r, value);
        return r;
    }

    static GXDateTime dateTime(Instant t) {
        Calendar c = Calendar.getInstance(TimeZone.getTimeZone("UTC"));
        c.setTime(Date.from(t));
        return new GXDateTime(c);
    }

    static Instant instant(Object value) {
        if (value instanceof GXDateTime dt) {
            return dt.getMeterCalendar().toInstant();
        }
        if (value instanceof byte[] bytes) {
            return ((GXDateTime) GXDLMSClient.changeType(bytes, DataType.DATETIME)).getMeterCalendar().toInstant();
        }
        throw new IllegalArgumentException("not a date-time: " + value);
    }

    @Override
    protected boolean isTarget(int serverAddress, int clientAddress) {
        return true;
    }

    @Override
    protected SourceDiagnostic validateAuthentication(Authentication authentication, byte[] password) {
        // High Level Security with GMAC only: no lowest-level or password associations
        if (allowPublicClient && authentication == Authentication.NONE) {
            return SourceDiagnostic.NONE;
        }
        return authentication == Authentication.HIGH_GMAC ? SourceDiagnostic.NONE
                : SourceDiagnostic.AUTHENTICATION_REQUIRED;
    }

    @Override
    protected GXDLMSObject onFindObject(ObjectType objectType, int sn, String ln) {
        return null;
    }

    @Override
    public void read(ValueEventArgs[] args) {
        Instant now = Instant.now();
        for (ValueEventArgs e : args) {
            GXDLMSObject target = e.getTarget();
            int index = e.getIndex();
            if (target == clock && index == 2) {
                clock.setTime(dateTime(model.meterTime()));
            } else if (registers.containsKey(target) && index == 2) {
                ((GXDLMSRegister) target).setValue(registers.get(target).apply(now));
            } else if (target == profile && index == 2) {
                Instant from = now.minus(Duration.ofDays(1));
                Instant to = now;
                if (e.getSelector() == 1 && e.getParameters() instanceof List<?> p && p.size() >= 3) {
                    from = instant(p.get(1));
                    to = instant(p.get(2));
                }
                List<Object[]> rows = new ArrayList<>();
                for (long[] r : model.profile(from, to)) {
                    rows.add(new Object[] {dateTime(Instant.ofEpochSecond(r[0])), r[1], r[2]});
                }
                profile.setBuffer(rows.toArray(new Object[0][]));
                profile.setEntriesInUse(rows.size());
            } else if (target == eventLog && index == 2) {
                List<Object[]> rows = new ArrayList<>();
                for (MeterModel.MeterEvent ev : model.events()) {
                    rows.add(new Object[] {dateTime(ev.time()), ev.code()});
                }
                eventLog.setBuffer(rows.toArray(new Object[0][]));
                eventLog.setEntriesInUse(rows.size());
            } else if (target == disconnect) {
                MeterModel.SupplyState s = model.supply();
                disconnect.setOutputState(s == MeterModel.SupplyState.CONNECTED);
                disconnect.setControlState(switch (s) {
                    case CONNECTED -> ControlState.CONNECTED;
                    case DISCONNECTED -> ControlState.DISCONNECTED;
                    case READY_FOR_RECONNECTION -> ControlState.READY_FOR_RECONNECTION;
                });
            }
            e.setHandled(false);
        }
    }

    @Override
    protected void write(ValueEventArgs[] args) {
        for (ValueEventArgs e : args) {
            if (e.getTarget() == clock && e.getIndex() == 2) {
                e.setHandled(true);
                Instant wanted;
                try {
                    wanted = instant(e.getValue());
                } catch (RuntimeException ex) {
                    e.setError(ErrorCode.UNMATCHED_TYPE);
                    continue;
                }
                if (!model.setClock(wanted)) {
                    e.setError(ErrorCode.READ_WRITE_DENIED);
                }
            } else {
                e.setHandled(true);
                e.setError(ErrorCode.READ_WRITE_DENIED);
            }
        }
    }

    @Override
    protected void action(ValueEventArgs[] args) {
        for (ValueEventArgs e : args) {
            if (e.getTarget() == disconnect) {
                e.setHandled(true);
                if (e.getIndex() == 1) {
                    model.remoteDisconnect();
                } else if (e.getIndex() == 2) {
                    model.remoteReconnect();
                } else {
                    e.setError(ErrorCode.READ_WRITE_DENIED);
                }
            }
        }
    }

    @Override
    protected void connected(GXDLMSConnectionEventArgs connectionInfo) {
    }

    @Override
    protected void invalidConnection(GXDLMSConnectionEventArgs connectionInfo) {
    }

    @Override
    protected void disconnected(GXDLMSConnectionEventArgs connectionInfo) {
    }
}

package org.modhub.mbus.emulator.internal.component;

import org.modhub.mbus.emulator.internal.EmulatedMeter;
import org.modhub.mbus.emulator.internal.SlaveEmulator;

import java.io.IOException;
import java.util.HexFormat;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * (In its own package so that tests can copy the emulator classes without this component.)
 * The emulated TCP M-Bus gateway in a running hub (dev variant only): an electricity meter at primary
 * address 1 (plain) and a water meter at primary address 2 (security mode 5 with {@code .key}).
 */
@Component(immediate = true, configurationPid = SlaveEmulatorComponent.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = SlaveEmulatorComponent.Config.class)
public class SlaveEmulatorComponent {
    public static final String PID = "org.modhub.mbus.emulator";

    @ObjectClassDefinition(id = PID, name = "modhub M-Bus slave emulator", description = "An emulated TCP M-Bus gateway on loopback.")
    public @interface Config {
        @AttributeDefinition(min = "0", max = "65535", description = "Loopback TCP port (0: any free port).")
        int port() default 10001;

        @AttributeDefinition(name = ".key", description = "AES-128 key (32 hex digits) of the mode-5 water meter.")
        String _key() default "000102030405060708090A0B0C0D0E0F";
    }

    private final SlaveEmulator emulator;

    @Activate
    public SlaveEmulatorComponent(Config config, @Reference(service = LoggerFactory.class) Logger log) throws IOException {
        if (config.port() < 0 || config.port() > 65535) {
            String msg = "configuration " + PID + ": field 'port': " + config.port() + " is out of 0..65535";
            log.error(msg);
            throw new IllegalArgumentException(msg);
        }
        byte[] key;
        try {
            key = HexFormat.of().parseHex(config._key());
            if (key.length != 16) {
                throw new IllegalArgumentException("not 16 octets");
            }
        } catch (IllegalArgumentException e) {
            String msg = "configuration " + PID + ": field '.key': not 32 hex digits";
            log.error(msg);
            throw new IllegalArgumentException(msg);
        }
        emulator = new SlaveEmulator(config.port());
        emulator.add(new EmulatedMeter(1, 12345678, "ABB", 1, EmulatedMeter.TYPE_ELECTRICITY, null, 1000, 0));
        emulator.add(new EmulatedMeter(2, 87654321, "LSE", 0x17, EmulatedMeter.TYPE_WATER, key, 0, 14004));
        log.info("M-Bus slave emulator listening on 127.0.0.1:" + emulator.port() + " with " + emulator.meters());
    }

    @Deactivate
    void deactivate() {
        emulator.close();
    }
}

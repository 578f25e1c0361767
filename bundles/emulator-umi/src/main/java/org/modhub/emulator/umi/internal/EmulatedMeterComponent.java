package org.modhub.emulator.umi.internal;

import java.io.IOException;
import java.time.Duration;
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
 * Runs the emulated metrology module on a loopback TCP port (and, if {@code serialDevice} is set, on a
 * serial device such as one end of a socat pty pair) when configured ({@value #PID}). For the dev
 * variant and tests only.
 */
@Component(service = EmulatedMeterComponent.class, immediate = true, configurationPid = EmulatedMeterComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = EmulatedMeterComponent.Config.class)
public class EmulatedMeterComponent {
    public static final String PID = "org.modhub.emulator.umi";

    @ObjectClassDefinition(name = "modhub emulated metrology module", description = "A DLMS/COSEM meter emulator.")
    public @interface Config {
        @AttributeDefinition(min = "0", max = "65535", description = "Loopback TCP port of the DLMS wrapper (0: any).")
        int port() default 4059;

        @AttributeDefinition(description = "Serial device for HDLC (empty: none).")
        String serialDevice() default "";

        @AttributeDefinition(description = "The meter's system title, 16 hex digits.")
        String systemTitle() default "4D4D4D0000BC614E";

        @AttributeDefinition(name = ".blockCipherKey", description = "Encryption key, 32 hex digits.")
        String _blockCipherKey();

        @AttributeDefinition(name = ".authenticationKey", description = "Authentication key, 32 hex digits.")
        String _authenticationKey();

        @AttributeDefinition(description = "Serial device for the IEC 62056-21 optical port (empty: none).")
        String opticalDevice() default "";

        @AttributeDefinition(description = "Device address the optical port answers to (besides the empty one).")
        String opticalAddress() default "12345678";

        @AttributeDefinition(min = "0", max = "6", description = "Disconnect control mode.")
        int controlMode() default 4;
    }

    private final Logger log;
    private final TcpMeterServer tcp;
    private final SerialMeterServer serial;
    private final OpticalMeterServer optical;

    @Activate
    public EmulatedMeterComponent(@Reference(service = LoggerFactory.class) Logger log, Config config) throws IOException {
        this.log = log;
        MeterKeys keys;
        try {
            keys = MeterKeys.hex(config.systemTitle(), config._blockCipherKey(), config._authenticationKey());
        } catch (RuntimeException e) {
            String message = "configuration " + PID + " refused: field keys: " + e.getMessage();
            log.error(message);
            throw new IllegalArgumentException(message, e);
        }
        MeterModel model = new MeterModel(12_345_000, 1_234_000, Duration.ofSeconds(10), config.controlMode());
        this.tcp = new TcpMeterServer(model, keys, config.port());
        this.serial = config.serialDevice().isBlank() ? null
                : new SerialMeterServer(model, keys, config.serialDevice(), 115_200);
        this.optical = config.opticalDevice().isBlank() ? null
                : new OpticalMeterServer(model, config.opticalDevice(), config.opticalAddress(), "MODHUB-OPT-001", '5');
        log.info("emulated metrology module on 127.0.0.1:{}{}{}", tcp.port(),
                serial == null ? "" : " and " + config.serialDevice(),
                optical == null ? "" : ", optical port on " + config.opticalDevice());
    }

    @Deactivate
    void deactivate() {
        tcp.close();
        if (serial != null) {
            serial.close();
        }
        if (optical != null) {
            optical.close();
        }
    }

    public int port() {
        return tcp.port();
    }
}

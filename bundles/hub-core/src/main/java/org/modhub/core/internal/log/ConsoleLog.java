package org.modhub.core.internal.log;

import java.io.PrintStream;
import java.time.Instant;
import java.util.Map;
import org.modhub.core.internal.config.ConfigGuard;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.osgi.service.log.Logger;
import org.osgi.service.log.admin.LoggerAdmin;
import org.osgi.service.log.admin.LoggerContext;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * Writes the OSGi log to standard output, one line an entry, and sets the log level. The hub's
 * log goes where a service manager (systemd, a container runtime) collects it.
 */
@Component(immediate = true, configurationPid = ConsoleLog.PID)
@Designate(ocd = ConsoleLog.Config.class)
public class ConsoleLog implements LogListener {
    public static final String PID = "org.modhub.core.log";

    @ObjectClassDefinition(name = "modhub console log", description = "Log level and console output.")
    public @interface Config {
        @AttributeDefinition(description = "Lowest level written (ERROR, WARN, INFO, DEBUG, TRACE).")
        LogLevel level() default LogLevel.INFO;
    }

    private final LogReaderService reader;
    private final PrintStream out = System.out;
    private volatile LogLevel level;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL)
    private LoggerAdmin loggerAdmin;

    @Activate
    public ConsoleLog(@Reference LogReaderService reader, @Reference ConfigGuard guard, Config config,
            Map<String, Object> properties) {
        guard.check(getClass(), PID, properties);
        this.reader = reader;
        this.level = config.level();
        reader.addLogListener(this);
        // what was logged before this component started listening: warnings and errors, oldest first
        java.util.List<LogEntry> earlier = java.util.Collections.list(reader.getLog());
        java.util.Collections.reverse(earlier);
        for (LogEntry e : earlier) {
            if (e.getLogLevel().ordinal() <= LogLevel.WARN.ordinal()) {
                logged(e);
            }
        }
    }

    /** Sets the framework's root log level; a configuration change re-activates the component. */
    @Activate
    void start() {
        if (loggerAdmin != null) {
            LoggerContext root = loggerAdmin.getLoggerContext(null);
            Map<String, LogLevel> levels = root.getLogLevels();
            levels.put(Logger.ROOT_LOGGER_NAME, level);
            root.setLogLevels(levels);
        }
    }

    @Deactivate
    void stop() {
        reader.removeLogListener(this);
    }

    @Override
    public void logged(LogEntry entry) {
        if (entry.getLogLevel().ordinal() > level.ordinal()) {
            return;
        }
        // the framework's own bundle and service events are noise unless something went wrong
        String logger = entry.getLoggerName();
        if (logger != null && logger.startsWith("Events.") && entry.getLogLevel().ordinal() > LogLevel.WARN.ordinal()) {
            return;
        }
        String bsn = entry.getBundle() == null ? "-" : entry.getBundle().getSymbolicName();
        StringBuilder line = new StringBuilder(160).append(Instant.ofEpochMilli(entry.getTime())).append(' ')
                .append(String.format("%-5s", entry.getLogLevel())).append(" [").append(bsn).append("] ")
                .append(entry.getMessage());
        synchronized (out) {
            out.println(line);
            if (entry.getException() != null && entry.getLogLevel().ordinal() <= LogLevel.WARN.ordinal()) {
                entry.getException().printStackTrace(out);
            }
        }
    }
}

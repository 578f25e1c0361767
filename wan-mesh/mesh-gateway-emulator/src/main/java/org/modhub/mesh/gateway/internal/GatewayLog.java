package org.modhub.mesh.gateway.internal;

/** Where the gateway reports what it does: the OSGi log in a framework, System.Logger otherwise. */
public interface GatewayLog {
    void info(String message);

    void warn(String message);

    /** System.Logger, for the gateway used as a plain Java object (tests, tools). */
    static GatewayLog system() {
        System.Logger l = System.getLogger(BorderGateway.class.getName());
        return new GatewayLog() {
            @Override
            public void info(String message) {
                l.log(System.Logger.Level.INFO, message);
            }

            @Override
            public void warn(String message) {
                l.log(System.Logger.Level.WARNING, message);
            }
        };
    }
}

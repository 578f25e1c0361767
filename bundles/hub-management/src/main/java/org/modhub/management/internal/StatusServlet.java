package org.modhub.management.internal;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.modhub.api.event.EventLog;
import org.modhub.api.gas.GasProxy;
import org.modhub.api.han.DeviceLog;
import org.modhub.api.han.HanNetwork;
import org.modhub.api.health.HubHealth;
import org.modhub.api.metering.MeteringStore;
import org.modhub.api.wan.WanLink;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The status page: {@code GET /} (HTML), {@code /status.js}, {@code /status.css} (the page's own
 * script and style: no CDN, works offline) and {@code GET /api/status} (everything the page shows, as
 * JSON). Any other path is 404; methods other than GET/HEAD 405; bodies over 8 KiB 413.
 */
@Component(service = Servlet.class, property = {
    "osgi.http.whiteboard.servlet.pattern=/",
    "osgi.http.whiteboard.servlet.name=modhub-status"})
public class StatusServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Map<String, String[]> STATIC = Map.of(
            "/", new String[] {"web/index.html", "text/html; charset=utf-8"},
            "/index.html", new String[] {"web/index.html", "text/html; charset=utf-8"},
            "/status.js", new String[] {"web/status.js", "text/javascript; charset=utf-8"},
            "/status.css", new String[] {"web/status.css", "text/css; charset=utf-8"});

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient HubHealth health;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient DeviceLog deviceLog;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient GasProxy gas;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient MeteringStore metering;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient EventLog events;

    final transient List<HanNetwork> hans = new CopyOnWriteArrayList<>();
    private transient BundleContext context;

    @Activate
    void activate(BundleContext context) {
        this.context = context;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void addHan(HanNetwork n) {
        hans.add(n);
    }

    void removeHan(HanNetwork n) {
        hans.remove(n);
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        try {
            String path = req.getRequestURI();
            if (!Responses.consumeBody(req)) {
                Responses.tooLarge(req, resp);
                return;
            }
            boolean known = STATIC.containsKey(path) || "/api/status".equals(path);
            if (!known) {
                Responses.notFound(req, resp);
            } else if (!"GET".equals(req.getMethod()) && !"HEAD".equals(req.getMethod())) {
                Responses.methodNotAllowed(req, resp);
            } else if ("/api/status".equals(path)) {
                org.modhub.api.common.Eui64 meter = null;
                String m = req.getParameter("meter");
                if (m != null && !m.isEmpty()) {
                    try {
                        meter = org.modhub.api.common.Eui64.parse(m);
                    } catch (IllegalArgumentException e) {
                        Responses.json(req, resp, 400, Json.error(400, "meter: " + e.getMessage()));
                        return;
                    }
                }
                String body = new StatusJson(health, deviceLog, hans, wanLinks(), gas, metering, events,
                        context == null ? null : context.getBundles()).chartMeter(meter).render(java.time.Instant.now());
                Responses.json(req, resp, 200, body);
            } else {
                String[] res = STATIC.get(path);
                byte[] bytes;
                try (InputStream in = StatusServlet.class.getClassLoader().getResourceAsStream(res[0])) {
                    if (in == null) {
                        throw new IOException("resource " + res[0] + " missing from the bundle");
                    }
                    bytes = in.readAllBytes();
                }
                resp.setHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data:");
                Responses.send(req, resp, 200, res[1], bytes);
            }
        } catch (RuntimeException | IOException e) {
            Responses.internalError(req, resp, e);
        }
    }

    /** Each WAN link with its service properties (state, signal) as the link publishes them. */
    private List<StatusJson.Wan> wanLinks() {
        BundleContext c = context;
        if (c == null) {
            return List.of();
        }
        try {
            var refs = c.getServiceReferences(WanLink.class, null);
            List<StatusJson.Wan> out = new java.util.ArrayList<>();
            for (var ref : refs) {
                WanLink link = c.getService(ref);
                if (link == null) {
                    continue;
                }
                try {
                    out.add(StatusJson.Wan.of(link, ref.getProperty(WanLink.SIGNAL_DBM)));
                } finally {
                    c.ungetService(ref);
                }
            }
            return out;
        } catch (org.osgi.framework.InvalidSyntaxException | IllegalStateException e) {
            return List.of();
        }
    }
}

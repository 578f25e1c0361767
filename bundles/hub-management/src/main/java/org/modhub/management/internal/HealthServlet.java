package org.modhub.management.internal;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.modhub.api.health.HubHealth;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * {@code GET /health}: the hub's health as JSON, 200 when UP, 503 while STARTING or DEGRADED; 405 for
 * any method but GET and HEAD, 413 for a body over 8 KiB, 404 below /health, 500 (JSON, no stack trace)
 * for anything unexpected.
 */
@Component(service = Servlet.class, property = {
    "osgi.http.whiteboard.servlet.pattern=/health",
    "osgi.http.whiteboard.servlet.pattern=/health/*",
    "osgi.http.whiteboard.servlet.name=modhub-health"})
public class HealthServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile transient HubHealth health;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        try {
            if (!Responses.consumeBody(req)) {
                Responses.tooLarge(req, resp);
            } else if (!"/health".equals(req.getRequestURI())) {
                Responses.notFound(req, resp);
            } else if (!"GET".equals(req.getMethod()) && !"HEAD".equals(req.getMethod())) {
                Responses.methodNotAllowed(req, resp);
            } else {
                Json.HealthResponse r = Json.health(health);
                Responses.json(req, resp, r.status(), r.body());
            }
        } catch (RuntimeException | IOException e) {
            Responses.internalError(req, resp, e);
        }
    }
}

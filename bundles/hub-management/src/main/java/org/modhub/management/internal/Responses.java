package org.modhub.management.internal;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** What every management servlet shares: request size checks and JSON/text responses without stack traces. */
final class Responses {
    private Responses() {
    }

    /**
     * Reads and discards the request body, at most {@value ManagementEndpoint#MAX_BODY_BYTES} bytes.
     *
     * @return false when the body is larger (by Content-Length or by what arrives)
     */
    static boolean consumeBody(HttpServletRequest req) throws IOException {
        String length = req.getHeader("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > ManagementEndpoint.MAX_BODY_BYTES) {
                    return false;
                }
            } catch (NumberFormatException e) {
                return false;
            }
        }
        InputStream in = req.getInputStream();
        byte[] buffer = new byte[1024];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) > 0) {
            total += n;
            if (total > ManagementEndpoint.MAX_BODY_BYTES) {
                return false;
            }
        }
        return true;
    }

    static void tooLarge(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setHeader("Connection", "close");
        json(req, resp, 413, Json.error(413, "request body larger than " + ManagementEndpoint.MAX_BODY_BYTES + " bytes"));
    }

    static void notFound(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        json(req, resp, 404, Json.error(404, "not found"));
    }

    static void methodNotAllowed(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setHeader("Allow", "GET");
        json(req, resp, 405, Json.error(405, "method not allowed"));
    }

    static void internalError(HttpServletRequest req, HttpServletResponse resp, Exception e) throws IOException {
        // Never a stack trace in a response; the class name in the log is enough to start looking.
        System.err.println("[org.modhub.management] ERROR " + req.getMethod() + " " + req.getRequestURI() + " failed: " + e);
        if (!resp.isCommitted()) {
            resp.reset();
            json(req, resp, 500, Json.error(500, "internal error"));
        }
    }

    static void json(HttpServletRequest req, HttpServletResponse resp, int status, String body) throws IOException {
        send(req, resp, status, "application/json; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    static void send(HttpServletRequest req, HttpServletResponse resp, int status, String type, byte[] bytes)
            throws IOException {
        resp.setStatus(status);
        resp.setHeader("Content-Type", type);
        resp.setHeader("Cache-Control", "no-store");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setContentLength(bytes.length);
        if ("HEAD".equals(req.getMethod())) {
            return;
        }
        try (OutputStream out = resp.getOutputStream()) {
            out.write(bytes);
        }
    }
}

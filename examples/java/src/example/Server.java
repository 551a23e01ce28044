// The Java example built by examples/java/Stagefile: a tiny HTTP server, the JDK's own
// modules only (java.base and jdk.httpserver, listed in modules.txt).
//
//   java -jar app.jar          serve HTTP on :8080 (or $PORT); GET / answers the greeting
//   java -jar app.jar hello    print the greeting and exit (no network needed)
package example;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

public final class Server {
    static final String GREETING = "hello from stagefile (java)";

    public static void main(String[] args) throws IOException {
        if (args.length == 1 && args[0].equals("hello")) {
            System.out.println(GREETING);
            return;
        }
        if (args.length > 0) {
            System.err.println("usage: java -jar app.jar [hello]");
            System.exit(2);
        }
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/", Server::answer);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        System.out.println("listening on :" + port);
    }

    private static void answer(HttpExchange exchange) throws IOException {
        boolean root = exchange.getRequestURI().getPath().equals("/");
        byte[] body = ((root ? GREETING : "not found") + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain");
        exchange.sendResponseHeaders(root ? 200 : 404, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}

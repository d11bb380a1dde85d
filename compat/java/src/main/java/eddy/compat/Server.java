package eddy.compat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.flink.statefun.sdk.java.Address;
import org.apache.flink.statefun.sdk.java.Context;
import org.apache.flink.statefun.sdk.java.StatefulFunction;
import org.apache.flink.statefun.sdk.java.StatefulFunctionSpec;
import org.apache.flink.statefun.sdk.java.StatefulFunctions;
import org.apache.flink.statefun.sdk.java.TypeName;
import org.apache.flink.statefun.sdk.java.ValueSpec;
import org.apache.flink.statefun.sdk.java.handler.RequestReplyHandler;
import org.apache.flink.statefun.sdk.java.io.KafkaEgressMessage;
import org.apache.flink.statefun.sdk.java.io.KinesisEgressMessage;
import org.apache.flink.statefun.sdk.java.message.EgressMessageBuilder;
import org.apache.flink.statefun.sdk.java.message.Message;
import org.apache.flink.statefun.sdk.java.message.MessageBuilder;
import org.apache.flink.statefun.sdk.java.slice.Slice;
import org.apache.flink.statefun.sdk.java.slice.Slices;
import org.apache.flink.statefun.sdk.java.types.SimpleType;
import org.apache.flink.statefun.sdk.java.types.Type;

/**
 * Eddy compatibility suite: function server built on the official StateFun Java SDK
 * (org.apache.flink:statefun-sdk-java:3.3.0), served with the JDK's built-in HttpServer.
 *
 * <p>The same functions exist in compat/js, compat/python and compat/go; see compat/README.md.
 *
 * <p>Usage: {@code PORT=8000 java -jar target/compat-server.jar} (127.0.0.1:$PORT, every path,
 * prints "READY <port>").
 */
public final class Server {

  static final TypeName PLAYGROUND_EGRESS = TypeName.typeNameFromString("io.statefun.playground/egress");
  static final TypeName GREETER = TypeName.typeNameFromString("example/greeter");
  static final TypeName ECHO = TypeName.typeNameFromString("compat/echo");
  static final TypeName DELAYED = TypeName.typeNameFromString("compat/delayed");
  static final Duration SCHEDULE_AND_CANCEL_DELAY = Duration.ofMillis(1000);

  /** JSON values are flat maps here; a tiny codec avoids pulling Jackson in. */
  static final Type<Map<String, Object>> GREET_REQUEST =
      SimpleType.simpleTypeFrom(
          TypeName.typeNameFromString("example/GreetRequest"),
          m -> Json.write(m).getBytes(StandardCharsets.UTF_8),
          b -> Json.readObject(new String(b, StandardCharsets.UTF_8)));

  static final Type<Map<String, Object>> EGRESS_RECORD =
      SimpleType.simpleTypeFrom(
          TypeName.typeNameFromString("io.statefun.playground/EgressRecord"),
          m -> Json.write(m).getBytes(StandardCharsets.UTF_8),
          b -> Json.readObject(new String(b, StandardCharsets.UTF_8)));

  static final ValueSpec<Integer> VISITS = ValueSpec.named("visits").withIntType();
  static final ValueSpec<Integer> COUNT = ValueSpec.named("count").withIntType();
  static final ValueSpec<String> SEEN =
      ValueSpec.named("seen").thatExpireAfterWrite(Duration.ofMillis(1000)).withUtf8StringType();
  static final ValueSpec<Integer> N = ValueSpec.named("n").withIntType();
  static final ValueSpec<Boolean> T_BOOL = ValueSpec.named("t_bool").withBooleanType();
  static final ValueSpec<Integer> T_INT = ValueSpec.named("t_int").withIntType();
  static final ValueSpec<Long> T_LONG = ValueSpec.named("t_long").withLongType();
  static final ValueSpec<Float> T_FLOAT = ValueSpec.named("t_float").withFloatType();
  static final ValueSpec<Double> T_DOUBLE = ValueSpec.named("t_double").withDoubleType();
  static final ValueSpec<String> T_STRING = ValueSpec.named("t_string").withUtf8StringType();
  static final ValueSpec<Boolean> Z_BOOL = ValueSpec.named("z_bool").withBooleanType();
  static final ValueSpec<Integer> Z_INT = ValueSpec.named("z_int").withIntType();
  static final ValueSpec<String> Z_STRING = ValueSpec.named("z_string").withUtf8StringType();

  static void emit(Context context, String topic, String payload) {
    Map<String, Object> record = new LinkedHashMap<>();
    record.put("topic", topic);
    record.put("payload", payload);
    context.send(
        EgressMessageBuilder.forEgress(PLAYGROUND_EGRESS).withCustomType(EGRESS_RECORD, record).build());
  }

  static Message stringMessage(TypeName type, String id, String value) {
    return MessageBuilder.forAddress(type, id).withValue(value).build();
  }

  /** Same texts as the flink-statefun-playground greeter examples (JavaScript/Python versions). */
  static String computeGreeting(String name, int seen) {
    switch (seen) {
      case 1:
        return "Welcome " + name;
      case 2:
        return "Nice to see you again " + name;
      case 3:
        return "Third time is a charm " + name;
      default:
        return "Nice to see you at the " + seen + "-nth time " + name + "!";
    }
  }

  static StatefulFunctionSpec spec(String typename, StatefulFunction fn, ValueSpec<?>... specs) {
    return StatefulFunctionSpec.builder(TypeName.typeNameFromString(typename))
        .withValueSpecs(specs)
        .withSupplier(() -> fn)
        .build();
  }

  // 1. playground greeter ----------------------------------------------------------------------
  static CompletableFuture<Void> person(Context context, Message message) {
    int visits = context.storage().get(VISITS).orElse(0) + 1;
    context.storage().set(VISITS, visits);
    Map<String, Object> request = message.as(GREET_REQUEST);
    request.put("visits", visits);
    context.send(
        MessageBuilder.forAddress(GREETER, String.valueOf(request.get("name")))
            .withCustomType(GREET_REQUEST, request)
            .build());
    return context.done();
  }

  static CompletableFuture<Void> greeter(Context context, Message message) {
    Map<String, Object> request = message.as(GREET_REQUEST);
    int visits = ((Number) request.get("visits")).intValue();
    emit(context, "greetings", computeGreeting(String.valueOf(request.get("name")), visits));
    return context.done();
  }

  // 2. counter ---------------------------------------------------------------------------------
  static CompletableFuture<Void> counter(Context context, Message message) {
    int count = context.storage().get(COUNT).orElse(0) + 1;
    context.storage().set(COUNT, count);
    emit(context, "counts", context.self().id() + ":" + count);
    return context.done();
  }

  // 3. ttl -------------------------------------------------------------------------------------
  static CompletableFuture<Void> ttl(Context context, Message message) {
    String text = message.asUtf8String();
    if (text.startsWith("set:")) {
      context.storage().set(SEEN, text.substring(4));
    } else if (text.equals("get")) {
      emit(context, "ttl", context.self().id() + ":" + context.storage().get(SEEN).orElse("none"));
    }
    return context.done();
  }

  // 4. caller / echo ---------------------------------------------------------------------------
  static CompletableFuture<Void> caller(Context context, Message message) {
    Optional<Address> caller = context.caller();
    if (caller.isEmpty()) {
      context.send(stringMessage(ECHO, context.self().id(), "ping"));
    } else {
      Address c = caller.get();
      emit(
          context,
          "caller",
          context.self().id() + ":" + message.asUtf8String() + " from "
              + c.type().namespace() + "/" + c.type().name() + "/" + c.id());
    }
    return context.done();
  }

  static CompletableFuture<Void> echo(Context context, Message message) {
    context.caller().ifPresent(c -> context.send(stringMessage(c.type(), c.id(), "pong")));
    return context.done();
  }

  // 5. delayed ---------------------------------------------------------------------------------
  static CompletableFuture<Void> delayed(Context context, Message message) {
    String text = message.asUtf8String();
    String self = context.self().id();
    if (text.startsWith("schedule:")) {
      String rest = text.substring("schedule:".length());
      int i = rest.indexOf(':');
      long ms = Long.parseLong(rest.substring(0, i));
      String token = rest.substring(i + 1);
      context.sendAfter(Duration.ofMillis(ms), token, stringMessage(DELAYED, self, "fire:" + token));
    } else if (text.startsWith("schedule-and-cancel:")) {
      String token = text.substring("schedule-and-cancel:".length());
      context.sendAfter(SCHEDULE_AND_CANCEL_DELAY, token, stringMessage(DELAYED, self, "fire:" + token));
      context.cancelDelayedMessage(token);
    } else if (text.startsWith("cancel:")) {
      context.cancelDelayedMessage(text.substring("cancel:".length()));
    } else if (text.startsWith("fire:")) {
      emit(context, "delayed", self + ":fired:" + text.substring("fire:".length()));
    }
    return context.done();
  }

  // 6. types -----------------------------------------------------------------------------------
  static CompletableFuture<Void> types(Context context, Message message) {
    String text = message.asUtf8String();
    var s = context.storage();
    if (text.equals("write")) {
      s.set(T_BOOL, true);
      s.set(T_INT, 42);
      s.set(T_LONG, 1234567890123L);
      s.set(T_FLOAT, 1.5f);
      s.set(T_DOUBLE, 2.25d);
      s.set(T_STRING, "hé");
      s.set(Z_BOOL, false);
      s.set(Z_INT, 0);
      s.set(Z_STRING, "");
    } else if (text.equals("read")) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("bool", s.get(T_BOOL).orElse(null));
      out.put("int", s.get(T_INT).orElse(null));
      out.put("long", s.get(T_LONG).orElse(null));
      out.put("float", s.get(T_FLOAT).orElse(null));
      out.put("double", s.get(T_DOUBLE).orElse(null));
      out.put("string", s.get(T_STRING).orElse(null));
      out.put("zero_bool", s.get(Z_BOOL).orElse(null));
      out.put("zero_int", s.get(Z_INT).orElse(null));
      out.put("zero_string", s.get(Z_STRING).orElse(null));
      emit(context, "types", Json.write(out));
    }
    return context.done();
  }

  // 7. kafka / kinesis egress ------------------------------------------------------------------
  static CompletableFuture<Void> kafkaEgress(Context context, Message message) {
    String value = message.asUtf8String();
    String id = context.self().id();
    context.send(
        KafkaEgressMessage.forEgress(TypeName.typeNameFromString("compat/kafka"))
            .withTopic("out")
            .withUtf8Key(id)
            .withUtf8Value(value)
            .build());
    context.send(
        KinesisEgressMessage.forEgress(TypeName.typeNameFromString("compat/kinesis"))
            .withStream("out")
            .withUtf8PartitionKey(id)
            .withUtf8Value(value)
            .build());
    return context.done();
  }

  // 8. slow (asynchronous: the future completes 300 ms later on a timer thread) -------------------
  static CompletableFuture<Void> slow(Context context, Message message) {
    int n = context.storage().get(N).orElse(0) + 1;
    context.storage().set(N, n);
    return CompletableFuture.runAsync(
        () -> emit(context, "slow", context.self().id() + ":" + n),
        CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
  }

  public static void main(String[] args) throws IOException {
    String portEnv = System.getenv("PORT");
    int port;
    try {
      port = Integer.parseInt(portEnv == null ? "" : portEnv.trim());
    } catch (NumberFormatException e) {
      System.err.println("PORT environment variable is required");
      System.exit(2);
      return;
    }

    StatefulFunctions functions = new StatefulFunctions();
    functions.withStatefulFunction(spec("example/person", Server::person, VISITS));
    functions.withStatefulFunction(spec("example/greeter", Server::greeter));
    functions.withStatefulFunction(spec("compat/counter", Server::counter, COUNT));
    functions.withStatefulFunction(spec("compat/ttl", Server::ttl, SEEN));
    functions.withStatefulFunction(spec("compat/caller", Server::caller));
    functions.withStatefulFunction(spec("compat/echo", Server::echo));
    functions.withStatefulFunction(spec("compat/delayed", Server::delayed));
    functions.withStatefulFunction(
        spec("compat/types", Server::types,
            T_BOOL, T_INT, T_LONG, T_FLOAT, T_DOUBLE, T_STRING, Z_BOOL, Z_INT, Z_STRING));
    functions.withStatefulFunction(spec("compat/kafka-egress", Server::kafkaEgress));
    functions.withStatefulFunction(spec("compat/slow", Server::slow, N));
    RequestReplyHandler handler = functions.requestReplyHandler();

    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
    server.createContext("/", exchange -> serve(handler, exchange)); // "/" matches every path
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0)));
    System.out.println("READY " + port);
    System.out.flush();
  }

  static void serve(RequestReplyHandler handler, HttpExchange exchange) throws IOException {
    if (!"POST".equals(exchange.getRequestMethod())) {
      reply(exchange, 405, "text/plain", "only POST".getBytes(StandardCharsets.UTF_8));
      return;
    }
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readAllBytes();
    }
    CompletableFuture<Slice> result;
    try {
      result = handler.handle(Slices.wrap(body));
    } catch (Throwable t) {
      result = CompletableFuture.failedFuture(t);
    }
    result.whenComplete(
        (slice, error) -> {
          try {
            if (error != null) {
              System.err.println("invocation failed: " + error);
              reply(exchange, 500, "text/plain", String.valueOf(error).getBytes(StandardCharsets.UTF_8));
            } else {
              reply(exchange, 200, "application/octet-stream", slice.toByteArray());
            }
          } catch (IOException e) {
            System.err.println("failed writing response: " + e);
          }
        });
  }

  static void reply(HttpExchange exchange, int status, String contentType, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
    exchange.close();
  }

  /** Minimal JSON for flat objects of strings, numbers, booleans and null. */
  static final class Json {
    static String write(Map<String, Object> map) {
      StringBuilder sb = new StringBuilder("{");
      boolean first = true;
      for (Map.Entry<String, Object> e : map.entrySet()) {
        if (!first) sb.append(',');
        first = false;
        string(sb, e.getKey());
        sb.append(':');
        Object v = e.getValue();
        if (v == null) sb.append("null");
        else if (v instanceof String) string(sb, (String) v);
        else sb.append(v); // Boolean, Integer, Long, Float, Double: Java's toString is valid JSON here
      }
      return sb.append('}').toString();
    }

    private static void string(StringBuilder sb, String s) {
      sb.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"': sb.append("\\\""); break;
          case '\\': sb.append("\\\\"); break;
          case '\n': sb.append("\\n"); break;
          case '\r': sb.append("\\r"); break;
          case '\t': sb.append("\\t"); break;
          default:
            if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
      }
      sb.append('"');
    }

    static Map<String, Object> readObject(String text) {
      Parser p = new Parser(text);
      p.ws();
      Map<String, Object> out = new LinkedHashMap<>();
      p.expect('{');
      p.ws();
      if (p.peek() == '}') {
        p.pos++;
        return out;
      }
      while (true) {
        p.ws();
        String key = p.string();
        p.ws();
        p.expect(':');
        p.ws();
        out.put(key, p.value());
        p.ws();
        char c = p.next();
        if (c == '}') return out;
        if (c != ',') throw new IllegalArgumentException("bad JSON at " + p.pos);
      }
    }

    private static final class Parser {
      final String s;
      int pos;

      Parser(String s) {
        this.s = s;
      }

      char peek() {
        return s.charAt(pos);
      }

      char next() {
        return s.charAt(pos++);
      }

      void ws() {
        while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
      }

      void expect(char c) {
        if (next() != c) throw new IllegalArgumentException("expected '" + c + "' at " + (pos - 1));
      }

      Object value() {
        char c = peek();
        if (c == '"') return string();
        if (s.startsWith("true", pos)) { pos += 4; return Boolean.TRUE; }
        if (s.startsWith("false", pos)) { pos += 5; return Boolean.FALSE; }
        if (s.startsWith("null", pos)) { pos += 4; return null; }
        int start = pos;
        while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) pos++;
        String num = s.substring(start, pos);
        if (num.isEmpty()) throw new IllegalArgumentException("unsupported JSON value at " + start);
        if (num.contains(".") || num.contains("e") || num.contains("E")) return Double.parseDouble(num);
        return Long.parseLong(num);
      }

      String string() {
        expect('"');
        StringBuilder sb = new StringBuilder();
        while (true) {
          char c = next();
          if (c == '"') return sb.toString();
          if (c != '\\') {
            sb.append(c);
            continue;
          }
          char e = next();
          switch (e) {
            case 'n': sb.append('\n'); break;
            case 'r': sb.append('\r'); break;
            case 't': sb.append('\t'); break;
            case 'b': sb.append('\b'); break;
            case 'f': sb.append('\f'); break;
            case 'u': sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16)); pos += 4; break;
            default: sb.append(e);
          }
        }
      }
    }
  }
}

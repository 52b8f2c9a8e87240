// Checks a webhook from the evidence service (Standard Webhooks, docs/webhooks.md) in Java 8+,
// with nothing but the JDK. Run the reference vector: javac WebhookVerifier.java && java WebhookVerifier
// Check one delivery: java WebhookVerifier <body file> <webhook-id> <webhook-timestamp> <webhook-signature> <secret>...
// (test/webhooks/delivery.test.ts runs both with the service's own signatures).
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public final class WebhookVerifier {
  /** How far webhook-timestamp may be from now: older messages are refused as replays. */
  static final long TOLERANCE_SECONDS = 300;

  /**
   * True when one of the space-separated "v1,<base64>" signatures in webhook-signature is the
   * HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}" under one of the secrets, and the
   * timestamp is recent. `body` must be the raw bytes received, before any JSON parsing.
   */
  public static boolean verify(String[] secrets, String msgId, String timestamp, String signatures, byte[] body, long nowSeconds)
      throws Exception {
    if (msgId == null || timestamp == null || signatures == null || !timestamp.matches("\\d{1,12}")) return false;
    if (Math.abs(nowSeconds - Long.parseLong(timestamp)) > TOLERANCE_SECONDS) return false;
    boolean ok = false;
    for (String secret : secrets) {
      byte[] key = Base64.getDecoder().decode(secret.startsWith("whsec_") ? secret.substring(6) : secret);
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update((msgId + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
      byte[] expected = Base64.getEncoder().encode(mac.doFinal(body));
      for (String part : signatures.split(" ")) {
        // Constant-time comparison: timing must not tell how much of a forgery was right.
        if (part.startsWith("v1,") && MessageDigest.isEqual(expected, part.substring(3).getBytes(StandardCharsets.US_ASCII))) ok = true;
      }
    }
    return ok;
  }

  public static void main(String[] args) throws Exception {
    if (args.length >= 5) {
      byte[] received = Files.readAllBytes(Paths.get(args[0]));
      boolean valid = verify(Arrays.copyOfRange(args, 4, args.length), args[1], args[2], args[3], received, System.currentTimeMillis() / 1000);
      System.out.println(valid ? "valid" : "invalid");
      System.exit(valid ? 0 : 1);
    }
    // The Standard Webhooks reference vector.
    String[] secrets = {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
    byte[] body = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
    String sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    boolean good = verify(secrets, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", sig, body, 1614265330L);
    boolean tampered = verify(secrets, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", sig, "{\"test\": 1}".getBytes(StandardCharsets.UTF_8), 1614265330L);
    System.out.println("reference vector: " + (good ? "valid" : "INVALID") + "; tampered body: " + (tampered ? "VALID" : "invalid"));
    if (!good || tampered) System.exit(1);
  }
}

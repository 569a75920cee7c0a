// DCC Boxed's signing tool (@smartdcc/duis-sign-wrap's tool.jar) over many files in one JVM: for each FILE, what
// `java -cp tool.jar uk.co.smartdcc.boxed.xmldsig.MODE FILE` answers (its own main_aux, the code its main exits
// with), printed as one line per file: "<exit code> <stdout, base64> <stderr, base64>".
// The tool's System.exit (its answer to a file it cannot read or parse) ends that file's run with that code, not the
// batch. Run as a source file:
//   java -Djava.security.manager=allow -cp tool.jar tests/oracles/DccToolBatch.java Validate|Sign FILE...
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.Permission;
import java.util.Arrays;
import java.util.Base64;
import uk.co.smartdcc.boxed.xmldsig.Sign;
import uk.co.smartdcc.boxed.xmldsig.Validate;

public final class DccToolBatch {
    /** System.exit(status) inside the tool, turned into an exception carrying the status. */
    static final class Exit extends SecurityException {
        final int status;

        Exit(int status) {
            super("System.exit(" + status + ")");
            this.status = status;
        }
    }

    @SuppressWarnings("removal")
    public static void main(String[] args) {
        System.setSecurityManager(new SecurityManager() {
            @Override
            public void checkExit(int status) {
                throw new Exit(status);
            }

            @Override
            public void checkPermission(Permission perm) {}

            @Override
            public void checkPermission(Permission perm, Object context) {}
        });
        PrintStream answer = System.out;
        PrintStream log = System.err;
        String mode = args[0];
        if (!mode.equals("Validate") && !mode.equals("Sign")) {
            log.println("[E] mode must be Validate or Sign, not " + mode);
            System.exit(2);
        }
        for (String file : Arrays.copyOfRange(args, 1, args.length)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code;
            try {
                String[] one = {file};
                code = (mode.equals("Validate") ? Validate.main_aux(one) : Sign.main_aux(one)).value();
            } catch (Exit exit) {
                code = exit.status;
            } catch (Throwable crash) {  // what an uncaught exception in the tool's main would do: exit 1
                crash.printStackTrace();
                code = 1;
            }
            System.out.flush();
            System.err.flush();
            System.setOut(answer);
            System.setErr(log);
            Base64.Encoder b64 = Base64.getEncoder();
            answer.println(code + " " + b64.encodeToString(out.toByteArray()) + " " + b64.encodeToString(err.toByteArray()));
        }
        answer.flush();
    }
}

package faultline.driver;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** Command-line options "--name value" and "--flag"; errors exit with status 2. */
final class Args {
  private final Map<String, String> values = new HashMap<>();

  Args(String[] argv, String tag, String usage, Set<String> valued, Set<String> flags) {
    for (int i = 0; i < argv.length; i++) {
      String arg = argv[i];
      if (arg.equals("--help") || arg.equals("-h")) {
        System.out.print(usage);
        System.exit(0);
      } else if (valued.contains(arg)) {
        if (i + 1 >= argv.length) fail(tag, arg + " needs a value");
        values.put(arg, argv[++i]);
      } else if (flags.contains(arg)) {
        values.put(arg, "");
      } else {
        fail(tag, "unknown argument '" + arg + "' (try --help)");
      }
    }
  }

  static void fail(String tag, String message) {
    System.err.println(tag + ": error: " + message);
    System.exit(2);
  }

  String string(String name) {
    return values.get(name);
  }

  boolean has(String name) {
    return values.containsKey(name);
  }

  /** The option as an integer >= min, or `fallback` when absent. */
  int integer(String tag, String name, int fallback, int min) {
    String v = values.get(name);
    if (v == null) return fallback;
    try {
      int n = Integer.parseInt(v);
      if (n >= min) return n;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    fail(tag, name + " needs an integer >= " + min + ", got '" + v + "'");
    return fallback;
  }
}

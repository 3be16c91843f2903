package faultline.driver;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** Trust for the fake server's CA: the certificates of a PEM file, verified as usual. */
final class Tls {
  final SSLContext context;
  final X509TrustManager trustManager;

  private Tls(SSLContext context, X509TrustManager trustManager) {
    this.context = context;
    this.trustManager = trustManager;
  }

  /** trusting(caFile), or exits with status 2 saying why the file cannot be used. */
  static Tls trustingOrExit(String tag, String caFile) {
    try {
      return trusting(caFile);
    } catch (IOException | GeneralSecurityException e) {
      Args.fail(tag, "cannot read --ca " + caFile + ": " + e.getMessage());
      throw new IllegalStateException("unreachable");
    }
  }

  /** Trusts the certificates in `caFile`, or the JDK's default CAs when it is null. */
  static Tls trusting(String caFile) throws IOException, GeneralSecurityException {
    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    if (caFile == null) {
      factory.init((KeyStore) null);
    } else {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      try (InputStream in = new FileInputStream(caFile)) {
        int n = 0;
        for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          store.setCertificateEntry("ca-" + n++, cert);
        }
        if (n == 0) throw new GeneralSecurityException(caFile + " holds no certificate");
      }
      factory.init(store);
    }
    X509TrustManager trust = null;
    for (TrustManager tm : factory.getTrustManagers()) {
      if (tm instanceof X509TrustManager) trust = (X509TrustManager) tm;
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {trust}, null);
    return new Tls(context, trust);
  }
}

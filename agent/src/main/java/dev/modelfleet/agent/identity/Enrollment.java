package dev.modelfleet.agent.identity;

import com.google.protobuf.ByteString;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.agent.trust.RootChain;
import dev.modelfleet.agent.trust.RootPin;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.EnrollmentProof;
import dev.modelfleet.protocol.agent.v1.EnrollRequest;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.io.IOException;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Enrolls the device once: makes (or reuses) its key pair, calls Enroll, verifies the returned root
 * metadata against the pinned root keys before trusting any of it, and stores the result.
 */
public final class Enrollment {

  private static final Logger LOG = Logger.getLogger("modelfleet.enrollment");

  private Enrollment() {}

  /**
   * @param certificateRequest PKCS#10 DER for mutual TLS, empty without
   */
  public static DeviceIdentity enroll(
      IdentityStore store,
      Function<EnrollRequest, EnrollResponse> enrollCall,
      String token,
      String requestedName,
      HardwareProfile hardware,
      byte[] certificateRequest,
      RootPin pin,
      long nowMs)
      throws IOException, VerificationException {
    // the stored key pair, made on the first attempt: a retry after a lost reply sends the same
    // key, and the server answers it with the device that attempt enrolled
    KeyPair pair = store.keyPair();
    EnrollResponse response =
        enrollCall.apply(request(pair, token, requestedName, hardware, certificateRequest));
    // The pinned keys may be older than the server's current root: walk the chain from the
    // first version they verify up to the current one.
    List<SignedEnvelope> versions = new ArrayList<>(response.getRootHistoryList());
    versions.add(response.getRootMetadata());
    RootChain root;
    try {
      root = RootChain.walk(versions, pin, nowMs, store.rootChainFile());
    } catch (VerificationException e) {
      throw new VerificationException(
          e.reasonCode(),
          "the server's root metadata does not verify against the pinned root key(s) ("
              + e.getMessage()
              + "); is --root-key the fleet root of this server"
              + " (GET /api/v1/trust/root.pem)?");
    }
    if (response.getAwaitingApproval()) {
      LOG.warning(
          "device "
              + response.getDeviceId()
              + " is enrolled and waiting for an operator"
              + " to approve it (POST /api/v1/devices/"
              + response.getDeviceId()
              + "/approve); it"
              + " syncs meanwhile but receives no models until then");
    }
    store.save(
        root,
        response.getDeviceId(),
        response.getDeviceCredential(),
        requestedName,
        response.getLabelsMap(),
        response.getRootMetadata(),
        pin);
    return new DeviceIdentity(
        response.getDeviceId(),
        response.getDeviceCredential(),
        requestedName,
        response.getLabelsMap(),
        pair.getPrivate(),
        pair.getPublic().getEncoded(),
        response.getRootMetadata(),
        root);
  }

  /** The request, with device_key_proof signed by the device key (EnrollmentProof). */
  static EnrollRequest request(
      KeyPair pair,
      String token,
      String requestedName,
      HardwareProfile hardware,
      byte[] certificateRequest) {
    byte[] publicKey = pair.getPublic().getEncoded();
    byte[] proof =
        Ed25519.sign(
            pair.getPrivate(), EnrollmentProof.signedBytes(token, certificateRequest, publicKey));
    return EnrollRequest.newBuilder()
        .setEnrollmentToken(token)
        .setDevicePublicKey(ByteString.copyFrom(publicKey))
        .setRequestedName(requestedName == null ? "" : requestedName)
        .setHardware(hardware)
        .setCertificateRequest(ByteString.copyFrom(certificateRequest))
        .setDeviceKeyProof(ByteString.copyFrom(proof))
        .build();
  }
}

package dev.modelfleet.e2e.sim;

import dev.modelfleet.agent.tls.TlsIdentity;
import dev.modelfleet.agent.trust.TrustedRoot;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;

/**
 * What a simulated device keeps from its enrollment; the private key is not needed after it.
 *
 * @param server index of the server that enrolled it, where its first stream goes
 * @param tls its TLS key and the certificate the fleet CA issued for it; null without mutual TLS
 */
record EnrolledDevice(
    String name,
    String deviceId,
    String credential,
    TrustedRoot root,
    HardwareProfile hardware,
    int server,
    TlsIdentity tls) {}

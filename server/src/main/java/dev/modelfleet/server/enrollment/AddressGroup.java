package dev.modelfleet.server.enrollment;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * Which enrollment budget a network address draws from: an IPv4 address has its own, an IPv6
 * address shares the one of its /64. A single subscriber or host is routinely given a whole /64 and
 * can pick any of its 2^64 addresses, so a budget per IPv6 address would limit nothing.
 */
public final class AddressGroup {

  private static final int IPV6_PREFIX_BYTES = 8;

  private AddressGroup() {}

  /**
   * The budget key: the IPv4 address itself, or the IPv6 /64 as {@code 2001:db8:1:2:0:0:0:0/64}.
   */
  public static String of(InetAddress address) {
    if (!(address instanceof Inet6Address)) {
      return address.getHostAddress();
    }
    byte[] bytes = address.getAddress();
    if (isIpv4Mapped(bytes)) {
      // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket: one address, one budget
      return (bytes[12] & 0xff)
          + "."
          + (bytes[13] & 0xff)
          + "."
          + (bytes[14] & 0xff)
          + "."
          + (bytes[15] & 0xff);
    }
    Arrays.fill(bytes, IPV6_PREFIX_BYTES, bytes.length, (byte) 0);
    try {
      return InetAddress.getByAddress(bytes).getHostAddress() + "/64";
    } catch (UnknownHostException e) {
      throw new IllegalStateException("16 bytes are always an IPv6 address", e);
    }
  }

  private static boolean isIpv4Mapped(byte[] bytes) {
    for (int i = 0; i < 10; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
  }
}

-- Mutual TLS: every X.509 certificate the fleet CA issued to a device. The agent protocol
-- finds the presenting device by the certificate's serial number and refuses a revoked one;
-- decommissioning a device revokes all its certificates in the same transaction.

create table device_certificates (
    -- the serial number in lowercase hex, unique per CA (random, 128 bits)
    serial             text primary key,
    device_id          uuid        not null references devices (id),
    -- sha256 of the DER encoding, for operators matching a certificate file to a row
    fingerprint_sha256 char(64)    not null unique,
    not_before         timestamptz not null,
    not_after          timestamptz not null,
    issued_at          timestamptz not null,
    revoked_at         timestamptz
);
create index device_certificates_device on device_certificates (device_id);

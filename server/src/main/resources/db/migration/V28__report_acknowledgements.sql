-- The highest numbered deployment report (DeploymentProgress.report_seq) stored per device and
-- report queue: the server acknowledges a report once its transaction committed, and drops a
-- resend of one it stored already (the stream broke between commit and ack). One row per device:
-- an agent keeps one queue per state directory, and its reports arrive in the order numbered.
create table device_report_sequences (
    device_id    uuid        primary key references devices (id) on delete cascade,
    report_queue text        not null,
    report_seq   bigint      not null,
    updated_at   timestamptz not null
);

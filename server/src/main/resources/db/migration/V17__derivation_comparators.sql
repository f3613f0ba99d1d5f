-- Issue 17. A derivation job names, per model output, the comparators that judge its variants
-- (e.g. {"maps": ["iou@0.3>=0.95"]}) and a floor per kind beside its single floor; each derived
-- variant keeps every comparator's value and verdict. A rejected variant's file is kept in the
-- artifact store until retained_until, for operators to download and inspect; then the
-- retention sweep clears artifact_sha256 and the artifact garbage collection removes the bytes.

alter table derivation_jobs
    add column comparators jsonb,
    add column floors      jsonb;

alter table derived_variants
    add column comparisons     jsonb,
    add column artifact_sha256 text,
    add column retained_until  timestamptz;

create index derived_variants_retained on derived_variants (retained_until)
    where artifact_sha256 is not null;

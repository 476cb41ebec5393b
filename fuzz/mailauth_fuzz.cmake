# The mailauth parsers: DKIM-Signature and key records, SPF records and macros,
# DMARC records, canonicalisation (the pure mailauth_records library).
taube_fuzz_target(mailauth_fuzz SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/mailauth_fuzz.cpp DEPS mailauth_records)

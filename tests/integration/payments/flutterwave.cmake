# The Flutterwave provider against the fake Flutterwave server (python3,
# started by the test itself); no database.
kolo_test(test_flutterwave LABEL integration SOURCES test_flutterwave.c
          LIBS kolo_testlib kolo_payments_core TIMEOUT 180)
target_compile_options(test_flutterwave PRIVATE -Wno-missing-field-initializers)

import os

# TensorFlow's C++ start-up banner says nothing a test reader needs.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# tests/integration/test_custom_scorer_build.py - the example scorer builds out of tree against the installed SDK
# SPDX-License-Identifier: MIT
"""Runs custom_scorer_build.sh on LF_BUILD_DIR, then dlopens the result (ctypes) and checks its descriptor."""
import ctypes
import os
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


class Descriptor(ctypes.Structure):
    # the leading fields of struct lf_plugin_descriptor (plugins/include/lafactoria/plugin.h)
    _fields_ = [("struct_size", ctypes.c_uint32), ("abi_major", ctypes.c_uint16), ("abi_minor", ctypes.c_uint16),
                ("kind", ctypes.c_uint32), ("_reserved", ctypes.c_uint32), ("name", ctypes.c_char_p),
                ("version", ctypes.c_char_p), ("description", ctypes.c_char_p)]


class CustomScorerBuild(unittest.TestCase):
    def test_build_and_descriptor(self):
        build = os.environ["LF_BUILD_DIR"]
        with tempfile.TemporaryDirectory() as work:
            res = subprocess.run(["sh", os.path.join(HERE, "custom_scorer_build.sh"), build, work],
                                 capture_output=True, text=True, timeout=300)
            self.assertEqual(res.returncode, 0, res.stderr)
            so = res.stdout.strip().splitlines()[-1]
            self.assertTrue(so.endswith("wordcount.so") and os.path.isfile(so), so)
            lib = ctypes.CDLL(so, mode=os.RTLD_NOW | os.RTLD_LOCAL)
            entry = lib.lf_plugin_entry
            entry.restype = ctypes.POINTER(Descriptor)
            d = entry().contents
            self.assertEqual(d.abi_major, 1)
            self.assertEqual(d.kind, 2)  # LF_PLUGIN_KIND_SCORER
            self.assertEqual(d.name, b"wordcount")
            self.assertEqual(d.version, b"0.1.0")
            self.assertGreater(d.struct_size, 100)


if __name__ == "__main__":
    unittest.main()

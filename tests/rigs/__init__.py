"""Programs the tests run in another process or another root: the upload storm, the
Debian chroot, the packaged pedal's read-only play."""

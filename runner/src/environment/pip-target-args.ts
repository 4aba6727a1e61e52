/** What a base image's interpreter is, as a probe inside it reports. */
export interface InterpreterProbe {
  /** "3.11" */
  python: string;
  /** "glibc", "musl" or "" */
  libc: string;
  /** "2.36" */
  libcVersion: string;
  /** "x86_64", "aarch64" */
  machine: string;
  /** "pypy" for PyPy; absent or "cpython" for CPython. */
  implementation?: "cpython" | "pypy";
  /** PyPy's ABI tag as its wheels name it ("pypy311_pp73", from SOABI); CPython's is cpXY. */
  abi?: string;
}

/**
 * The `pip download` flags that make the host's pip pick wheels for the
 * interpreter inside the image: CPython X.Y, its ABI (abi3/none are implied;
 * PyPy: `pp` and the ABI tag it reports, "pypy311_pp73"),
 * and every manylinux (or musllinux) tag its C library accepts. pip 23 does not
 * expand `manylinux_2_X` to older glibc versions itself, so each is listed;
 * `linux_<arch>` admits wheels built locally from source distributions.
 */
export function pipTargetArgs(probe: InterpreterProbe): string[] {
  const nodot = probe.python.replace(".", "");
  const arch = probe.machine;
  const platforms: string[] = [];
  const minor = Number(probe.libcVersion.split(".")[1] ?? 0);
  if (probe.libc === "glibc") {
    for (let v = Math.max(minor, 17); v >= 17; v--) if (v <= minor) platforms.push(`manylinux_2_${v}_${arch}`);
    platforms.push(`manylinux2014_${arch}`);
    if (arch === "x86_64" || arch === "i686") platforms.push(`manylinux2010_${arch}`, `manylinux1_${arch}`);
  } else if (probe.libc === "musl") {
    for (let v = minor; v >= 1; v--) platforms.push(`musllinux_1_${v}_${arch}`);
  }
  platforms.push(`linux_${arch}`);
  const pypy = probe.implementation === "pypy";
  return [
    "--python-version",
    probe.python,
    "--implementation",
    pypy ? "pp" : "cp",
    "--abi",
    pypy ? (probe.abi ?? `pypy${nodot}_pp73`) : `cp${nodot}`,
    ...platforms.flatMap((p) => ["--platform", p]),
    "--only-binary=:all:",
  ];
}

import { describe, expect, it } from "@jest/globals";
import { pickDjangoWheel } from "../../runner/src/environment/uv/pick-django-wheel.js";

const SHA = "a".repeat(64);
const PAGE = "https://index.example/simple/django/";

describe("Django's wheel on the index page (Django first, issue 28)", () => {
  it("picks the version's py3-none-any wheel, its URL resolved against the page", () => {
    const files = [
      { filename: "django-5.2.1.tar.gz", url: "../../files/django-5.2.1.tar.gz", hashes: { sha256: SHA } },
      { filename: "Django-5.2.0-py3-none-any.whl", url: "../../files/Django-5.2.0-py3-none-any.whl", hashes: { sha256: SHA } },
      { filename: "django-5.2.1-py3-none-any.whl", url: "../../files/django-5.2.1-py3-none-any.whl", hashes: { sha256: SHA } },
    ];
    expect(pickDjangoWheel(files, PAGE, "5.2.1")).toEqual({ name: "django", version: "5.2.1", file: "django-5.2.1-py3-none-any.whl", url: "https://index.example/files/django-5.2.1-py3-none-any.whl", sha256: SHA });
    // The older spelling of the project's files.
    expect(pickDjangoWheel(files, PAGE, "5.2.0")?.file).toBe("Django-5.2.0-py3-none-any.whl");
  });

  it("never a yanked file, one without a sha256 or with a malformed one, another version's, or a URL that is not http(s)", () => {
    const file = (extra: object) => ({ filename: "django-5.2.1-py3-none-any.whl", url: "https://files.example/django-5.2.1-py3-none-any.whl", hashes: { sha256: SHA }, ...extra });
    expect(pickDjangoWheel([file({ yanked: true })], PAGE, "5.2.1")).toBeUndefined();
    expect(pickDjangoWheel([file({ yanked: "broken" })], PAGE, "5.2.1")).toBeUndefined();
    expect(pickDjangoWheel([file({ hashes: {} })], PAGE, "5.2.1")).toBeUndefined();
    expect(pickDjangoWheel([file({ hashes: { sha256: "not-hex" } })], PAGE, "5.2.1")).toBeUndefined();
    expect(pickDjangoWheel([file({ url: "file:///etc/passwd" })], PAGE, "5.2.1")).toBeUndefined();
    expect(pickDjangoWheel([file({})], PAGE, "5.2.10")).toBeUndefined();
    // A name that only starts like Django's wheel (a path, another project) is not it.
    expect(pickDjangoWheel([file({ filename: "../django-5.2.1-py3-none-any.whl" })], PAGE, "5.2.1")).toBeUndefined();
    expect(pickDjangoWheel([file({ filename: "django-5.2.1-cp311-cp311-linux_x86_64.whl" })], PAGE, "5.2.1")).toBeUndefined();
    expect(pickDjangoWheel([file({})], PAGE, "5.2.1")?.file).toBe("django-5.2.1-py3-none-any.whl");
  });
});

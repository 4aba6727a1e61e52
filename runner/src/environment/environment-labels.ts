/** Labels on environment images (besides org.ponyci.managed and org.ponyci.env-key). */
export const LABEL_ENV_PYTHON = "org.ponyci.python";
export const LABEL_ENV_DJANGO = "org.ponyci.django";
/** `pip freeze` of /opt/venv, space-separated "name==version": read on the warm path. */
export const LABEL_ENV_PACKAGES = "org.ponyci.packages";

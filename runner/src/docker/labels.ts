import { hostname } from "node:os";

/**
 * Labels on everything Pony CI creates in Docker, so that a restarted process
 * can find and reap what a dead one left behind (`docker ps -a --filter
 * label=org.ponyci.job`).
 */
export const LABEL_MANAGED = "org.ponyci.managed";
/** The job (cell run) a container belongs to. */
export const LABEL_JOB = "org.ponyci.job";
/** Which runner process created the container (hostname:pid). */
export const LABEL_OWNER = "org.ponyci.owner";
/** On database service containers: which service ("postgres", "mariadb"). */
export const LABEL_SERVICE = "org.ponyci.service";
/** On environment build containers: the key (hash of everything that goes into the environment). */
export const LABEL_ENV_KEY = "org.ponyci.env-key";

/** This process, as written in LABEL_OWNER (hostname:pid). */
export const CONTAINER_OWNER = `${hostname()}:${process.pid}`;

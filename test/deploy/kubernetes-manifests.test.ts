/**
 * The Kubernetes manifests of docs/deploy/kubernetes/ against the
 * Kubernetes and KEDA schemas (kubernetes-models and
 * @kubernetes-models/keda: the OpenAPI schemas of the API and of KEDA's
 * CRDs, compiled with ajv), plus the rules a runner pod must keep: the
 * Docker socket and the data directory at the node's paths, a stable runner
 * id, /healthz as readiness, explicit requests and limits, no more
 * privilege than changing file owners needs.
 */
import { describe, expect, it } from "@jest/globals";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../docs/deploy/kubernetes");

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
}

function manifests(): Array<{ file: string; doc: Manifest }> {
  return readdirSync(DIR)
    .filter((file) => file.endsWith(".yaml"))
    .flatMap((file) => parseAllDocuments(readFileSync(path.join(DIR, file), "utf8")).map((doc) => ({ file, doc: doc.toJS() as Manifest })));
}

/** The model class of a manifest: an unknown kind fails the test (add its schema here). */
function validate(doc: Manifest): void {
  const key = `${doc.apiVersion}/${doc.kind}`;
  const models: Record<string, new (data: never) => { validate(): void }> = {
    "apps/v1/DaemonSet": DaemonSet,
    "apps/v1/Deployment": Deployment,
    "keda.sh/v1alpha1/ScaledObject": ScaledObject,
  };
  const Model = models[key];
  if (!Model) throw new Error(`no schema for ${key}`);
  new Model(doc as never).validate();
}

describe("Kubernetes manifests (docs/deploy/kubernetes)", () => {
  const all = manifests();

  it("are all there and valid against the Kubernetes and KEDA schemas", () => {
    expect(all.map(({ file, doc }) => `${file}: ${doc.kind}`).sort()).toEqual(["keda-scaledobject.yaml: ScaledObject", "runner-daemonset.yaml: DaemonSet", "runner-deployment.yaml: Deployment"]);
    for (const { doc } of all) expect(() => validate(doc)).not.toThrow();
  });

  it("the schemas catch a broken manifest (the check can fail)", () => {
    const daemonSet = all.find(({ doc }) => doc.kind === "DaemonSet")?.doc as Manifest;
    const broken = structuredClone(daemonSet);
    delete broken.spec.selector;
    expect(() => validate(broken)).toThrow(/selector/);
    const scaled = structuredClone(all.find(({ doc }) => doc.kind === "ScaledObject")?.doc as Manifest);
    delete scaled.spec.scaleTargetRef;
    expect(() => validate(scaled)).toThrow(/scaleTargetRef/);
  });

  it.each(["DaemonSet", "Deployment"])("the %s's runner keeps the rules of a runner pod", (kind) => {
    const doc = all.find((m) => m.doc.kind === kind)?.doc as unknown as {
      spec: { template: { spec: { securityContext: { runAsUser: number }; containers: unknown[]; volumes: Array<{ name: string; hostPath?: { path: string } }> } } };
    };
    const pod = doc.spec.template.spec;
    const [runner] = pod.containers as unknown as Array<{ args: string[]; env: Array<{ name: string; value?: string; valueFrom?: unknown }>; volumeMounts: Array<{ name: string; mountPath: string }>; readinessProbe: { httpGet: { path: string } }; resources: { requests: object; limits: object } }>;
    expect(runner?.args).toEqual(["runner"]);
    // Same paths inside as on the node: cells' bind mounts are resolved by the node's Docker Engine.
    for (const mount of runner?.volumeMounts ?? []) {
      const volume = pod.volumes.find((v) => v.name === mount.name);
      if (volume?.hostPath) expect(mount.mountPath).toBe(volume.hostPath.path);
    }
    const env = Object.fromEntries((runner?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(runner?.volumeMounts.find((m) => m.name === "data")?.mountPath).toBe(env.PONYCI_DATA_DIR);
    expect(runner?.volumeMounts.map((m) => m.mountPath)).toContain("/var/run/docker.sock");
    expect(env.PONYCI_RUNNER_ID).toEqual({ fieldRef: { fieldPath: kind === "DaemonSet" ? "spec.nodeName" : "metadata.name" } });
    expect(env.PONYCI_REDIS_URL).toEqual({ secretKeyRef: { name: "ponyci-runner", key: "redis-url" } });
    // Cells and runner events are signed with the key the server holds too (issue 23).
    expect(env.PONYCI_REDIS_SIGNING_KEY).toEqual({ secretKeyRef: { name: "ponyci-runner", key: "redis-signing-key" } });
    expect(runner?.readinessProbe.httpGet.path).toBe("/healthz");
    expect(runner?.resources.requests).toBeDefined();
    expect(runner?.resources.limits).toBeDefined();
    // Root (environment directories change owner), with only the capabilities that needs and no escalation.
    expect(pod.securityContext.runAsUser).toBe(0);
    const hardening = (runner as unknown as { securityContext: { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean; capabilities: { drop: string[]; add: string[] } } }).securityContext;
    expect(hardening).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"], add: ["CHOWN", "DAC_OVERRIDE", "FOWNER"] } });
  });

  it("KEDA scales the runner Deployment on the waiting cells, to zero", () => {
    const scaled = all.find(({ doc }) => doc.kind === "ScaledObject")?.doc as unknown as { spec: { scaleTargetRef: { kind: string; name: string }; minReplicaCount: number; triggers: Array<{ type: string; metadata: { query: string } }> } };
    const deployment = all.find(({ doc }) => doc.kind === "Deployment")?.doc as Manifest;
    expect(scaled.spec.scaleTargetRef).toMatchObject({ kind: "Deployment", name: deployment.metadata.name });
    expect(scaled.spec.minReplicaCount).toBe(0);
    expect(scaled.spec.triggers[0]?.type).toBe("prometheus");
    // The series the server exports (docs/scale-out.md): waiting + prioritized + delayed cells per cells queue.
    expect(scaled.spec.triggers[0]?.metadata.query).toMatch(/^sum\(ponyci_remote_queue_waiting_cells\{queue=~"cells-py/);
  });
});

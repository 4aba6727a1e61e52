/** Limits of a database service container (runner/src/services/start-service.ts). */
export interface ServiceLimits {
  memoryBytes: number;
  nanoCpus: number;
  pidsLimit: number;
}

/**
 * A service's limits when the installation says nothing: 1 GiB (the
 * default of PONYCI_SERVICE_MEMORY) and 512 processes; its CPUs are the
 * cell's (PONYCI_CELL_CPUS).
 */
export const defaultServiceLimits: Readonly<Omit<ServiceLimits, "nanoCpus">> = {
  memoryBytes: 1024 ** 3,
  pidsLimit: 512,
};

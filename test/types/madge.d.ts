// madge ships no types: the part test/runner/runner-imports.test.ts uses.
declare module "madge" {
  interface MadgeResult {
    obj(): Record<string, string[]>;
    circular(): string[][];
  }
  interface MadgeConfig {
    baseDir?: string;
    fileExtensions?: string[];
    tsConfig?: string;
    detectiveOptions?: Record<string, unknown>;
  }
  export default function madge(path: string | string[] | Record<string, string[]>, config?: MadgeConfig): Promise<MadgeResult>;
}

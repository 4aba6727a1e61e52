import { pack } from "tar-stream";

/**
 * A tar stream of one empty directory (`absolutePath`, mode 0755) owned by
 * `uid`:`uid`, for Docker's putArchive at "/": the daemon extracts it as
 * root, ownership kept, so a non-root build can be given exactly one
 * writable directory without any capability in the container. An existing
 * directory keeps its contents and gets the owner.
 */
export async function ownedDirectoryArchive(absolutePath: string, uid: number): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on("data", (chunk: unknown) => void chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    archive.on("end", resolve);
    archive.on("error", reject);
  });
  archive.entry({ name: `${absolutePath.replace(/^\/+/, "").replace(/\/+$/, "")}/`, type: "directory", mode: 0o755, uid, gid: uid, mtime: new Date(0) });
  archive.finalize();
  await ended;
  return Buffer.concat(chunks);
}

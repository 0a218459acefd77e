/**
 * `syndicate …` from the sources, sending itself SIGINT at a chosen moment of a build
 * (INTERRUPT_AT): `reading` as the content is read, `publishing` as the directory store begins
 * putting the new documents in place (its batch: temporary files, then renames). A signal is
 * handled between two steps of the event loop, so it lands inside the step as a user's Ctrl-C
 * would, at a point a test can name.
 */
import { DirectoryContent } from "../../functions/adapters/content-dir.ts";
import { DirectoryStore } from "../../functions/adapters/dir-store.ts";
import { main } from "../../functions/cli.ts";

const at = process.env.INTERRUPT_AT;
const signal = () => process.kill(process.pid, "SIGINT");
if (at === "reading") {
  const read = DirectoryContent.prototype.read;
  DirectoryContent.prototype.read = function (this: DirectoryContent, ...args: Parameters<typeof read>) {
    signal();
    return read.apply(this, args);
  };
} else if (at === "publishing") {
  const putAll = DirectoryStore.prototype.putAll;
  DirectoryStore.prototype.putAll = function (this: DirectoryStore, ...args: Parameters<typeof putAll>) {
    signal();
    return putAll.apply(this, args);
  };
}
process.exitCode = await main(process.argv.slice(2));

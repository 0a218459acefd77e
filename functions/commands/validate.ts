import { parseArgs } from "node:util";
import { DirectoryContent } from "../adapters/content-dir.ts";
import { validate } from "../pipeline/build.ts";
import { contentOption, printIssues } from "./shared.ts";

export default async function cmdValidate(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { content: { type: "string", default: "content" }, json: { type: "boolean", default: false } } });
  contentOption(values.content);
  const result = await validate(new DirectoryContent(values.content));
  printIssues(values.content, result.issues, values.json);
  if (!values.json) {
    const errors = result.issues.filter((i) => i.severity === "error").length;
    process.stderr.write(errors ? `${errors} error${errors === 1 ? "" : "s"} in ${values.content}\n` : `${result.articles} articles valid\n`);
  }
  return result.ok ? 0 : 1;
}


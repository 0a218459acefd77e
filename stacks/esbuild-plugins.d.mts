import type { Plugin } from "esbuild";
export declare const oneHtmlparser2: Plugin;
declare const plugins: Plugin[];
export default plugins;

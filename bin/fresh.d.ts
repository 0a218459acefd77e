export declare const BUNDLE_DIR: string;
export declare const BUNDLE_STAMP: string;
export declare function freshBundle(root?: URL): URL | undefined;

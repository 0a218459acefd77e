export declare const BUNDLE_DIR: string;
export declare const CURRENT: string;
export declare const BUNDLE_STAMP: string;
export declare function sourceState(root?: URL): [string, number | null, number | null, number | null][];
export declare function freshBundle(root?: URL): URL | undefined;

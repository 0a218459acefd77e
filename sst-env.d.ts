/* Written by hand: `sst deploy`/`sst dev` regenerate this file from the links in stacks/.
   Keep it in step with them (test/infra asserts the same names and properties). */
/* eslint-disable */
/* deno-fmt-ignore-file */

import "sst"
declare module "sst" {
  export interface Resource {
    "BuildRequests": {
      "type": "sst.sst.Linkable"
      "url": string
    }
    "Content": {
      "name": string
      "prefix": string
      "type": "sst.sst.Linkable"
    }
    "Feeds": {
      "name": string
      "type": "sst.sst.Linkable"
    }
    "WebhookSecret": {
      "type": "sst.sst.Secret"
      "value": string
    }
  }
}

export {}

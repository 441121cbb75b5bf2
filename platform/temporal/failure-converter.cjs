// The failure converter every worker, client and workflow bundle uses: failure messages and stack traces go through the payload codec.
// CommonJS on purpose: the worker require()s it by path (DataConverter.failureConverterPath), and the workflow bundler bundles it.
'use strict';
const { DefaultFailureConverter } = require('@temporalio/common');

// Without this a declined card's reason or an error naming a customer would sit in the history as plain text.
exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });

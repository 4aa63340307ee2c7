// The gadget's command line from source (bin/netgraph-gadget.js runs the same
// main() from dist/): node --import tsx test/netns/gadget-cli.ts local ...
import { main } from '../../gadget/main.js';

process.exitCode = await main(process.argv.slice(2));

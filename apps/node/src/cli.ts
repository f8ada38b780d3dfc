console.log('tc-node');

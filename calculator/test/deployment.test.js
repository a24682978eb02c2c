'use strict';

// The files that deploy the app agree with the app and with each other:
// the port (the original pipeline once failed its ValidateService hook
// because service.js moved from 8080 to 80), the page heading the checks
// look for, the hook scripts and the build artifact's contents.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { DEFAULT_PORT } = require('../lib/port');

const root = path.join(__dirname, '..');
const read = (file) => fs.readFileSync(path.join(root, file), 'utf8');
const template = JSON.parse(read('cloudformation/application.json'));
const resources = Object.values(template.Resources);
const ofType = (type) => resources.filter((r) => r.Type === type);

test('the page heading is the one validate.sh and the service-status stage look for', () => {
  assert.match(read('public/index.html'), /<h1>Simple Calculator Service<\/h1>/);
  assert.match(read('deploy_scripts/validate.sh'), /^EXPECTED="Simple Calculator Service"$/m);
});

test('the service, the deploy scripts and the target group agree on port 8080', () => {
  assert.equal(DEFAULT_PORT, 8080);
  assert.match(read('deploy_scripts/common.sh'), /^APP_PORT=8080$/m);
  const [targetGroup] = ofType('AWS::ElasticLoadBalancingV2::TargetGroup');
  assert.equal(targetGroup.Properties.Port, DEFAULT_PORT);
  assert.equal(targetGroup.Properties.HealthCheckPath, '/');
  const [listener] = ofType('AWS::ElasticLoadBalancingV2::Listener');
  assert.equal(listener.Properties.Port, 80);
});

test('every appspec hook runs an executable script that exists', () => {
  const appspec = read('appspec.yml');
  const locations = [...appspec.matchAll(/location:\s*(\S+)/g)].map((m) => m[1]);
  for (const hook of ['ApplicationStop', 'BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService']) {
    assert.match(appspec, new RegExp(`^  ${hook}:$`, 'm'), `${hook} hook`);
  }
  assert.ok(locations.length >= 5);
  for (const location of locations) {
    const stat = fs.statSync(path.join(root, location));
    assert.ok(stat.mode & 0o111, `${location} is executable`);
    assert.match(read(location), /^#!\/usr\/bin\/env bash\n(#.*\n)*set -euo pipefail$/m, `${location} uses strict mode`);
  }
});

test('the build artifact carries everything the instances and the pipeline need', () => {
  const buildspec = read('buildspec.yml');
  for (const entry of ['appspec.yml', 'deploy_scripts/**/*', 'service.js', 'lib/**/*', 'public/**/*', 'package.json', 'package-lock.json', 'cloudformation/**/*']) {
    assert.ok(buildspec.includes(`    - ${entry}\n`), `buildspec artifacts include ${entry}`);
  }
  assert.match(buildspec, /nodejs: 20/);
});

test('the stage template opens nothing to the world itself', () => {
  assert.deepEqual(ofType('AWS::EC2::SecurityGroup'), []);
  assert.deepEqual(ofType('AWS::EC2::SecurityGroupIngress'), []);
  assert.doesNotMatch(JSON.stringify(template), /\/0"/);
});

test('the Auto Scaling group keeps 3 to 5 instances named after the stage', () => {
  const [group] = ofType('AWS::AutoScaling::AutoScalingGroup');
  assert.equal(group.Properties.MinSize, '3');
  assert.equal(group.Properties.MaxSize, '5');
  assert.equal(group.Properties.DesiredCapacity, '3');
  const name = group.Properties.Tags.find((tag) => tag.Key === 'Name');
  assert.deepEqual(name, { Key: 'Name', Value: { 'Fn::Sub': 'simple-calculator-${Stage}' }, PropagateAtLaunch: true });
});

test('the deployment group is named after the stack and rolls back on failure', () => {
  const [group] = ofType('AWS::CodeDeploy::DeploymentGroup');
  assert.deepEqual(group.Properties.DeploymentGroupName, { 'Fn::Sub': '${AWS::StackName}-DeploymentGroup' });
  assert.equal(group.Properties.AutoRollbackConfiguration.Enabled, true);
  assert.ok(group.Properties.AutoRollbackConfiguration.Events.includes('DEPLOYMENT_FAILURE'));
  assert.deepEqual(template.Parameters.DeploymentStyle.AllowedValues, ['InPlace', 'BlueGreen']);
  assert.equal(template.Parameters.DeploymentStyle.Default, 'InPlace');
});

test('the stack outputs the URL the Service_Status stage checks', () => {
  assert.deepEqual(template.Outputs.Url.Value, { 'Fn::Sub': 'http://${LoadBalancer.DNSName}' });
});

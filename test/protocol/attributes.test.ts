/** The attribute-type table the XML codec uses to turn element text back into data-model types. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeKind, XML_ATTRIBUTES } from '../../src/protocol/attributes.js';

test('numeric, boolean and xs:list attributes of the common resources', () => {
  for (const n of ['ty', 'st', 'mni', 'mbs', 'mia', 'cni', 'cbs', 'cs', 'cst', 'nct', 'exc', 'pn'])
    assert.equal(attributeKind('m2m:cnt', n), 'number', n);
  for (const n of ['rr', 'vrq', 'sud', 'disr']) assert.equal(attributeKind('m2m:ae', n), 'boolean', n);
  for (const n of ['acpi', 'lbl', 'poa', 'srv', 'nu', 'csz'])
    assert.equal(attributeKind('m2m:ae', n), 'list', n);
  assert.equal(attributeKind('m2m:cb', 'srt'), 'numberList');
});

test('strings stay strings: identifiers, timestamps, con, rn', () => {
  for (const n of ['rn', 'ri', 'pi', 'ct', 'lt', 'et', 'api', 'aei', 'con', 'cnf', 'cr', 'rqi', 'rvi'])
    assert.equal(attributeKind('m2m:cin', n), undefined, n);
});

test('the kind depends on the parent where the data model differs', () => {
  assert.equal(attributeKind('m2m:ae', 'ty'), 'number');
  assert.equal(attributeKind('fc', 'ty'), 'numberList');
  assert.equal(attributeKind('nev', 'net'), 'number');
  assert.equal(attributeKind('enc', 'net'), 'numberList');
  assert.equal(attributeKind('enc', 'atr'), 'list');
  assert.equal(attributeKind('fc', 'atr'), 'repeated');
  assert.equal(attributeKind('m2m:agn', 'm2m:sgn'), 'repeated');
  assert.equal(attributeKind('pc', 'm2m:sgn'), undefined);
});

test('repeated elements: schedule entries, child references, child resources', () => {
  assert.equal(attributeKind('se', 'sce'), 'repeated');
  assert.equal(attributeKind('m2m:cnt', 'ch'), 'repeated');
  assert.equal(attributeKind('m2m:cnt', 'm2m:cin'), 'repeated');
  assert.equal(attributeKind('rep', 'm2m:cin'), undefined);
  assert.deepEqual(XML_ATTRIBUTES.ch, ['nm', 'typ', 'spid']);
  assert.equal(attributeKind('ch', 'typ'), 'number');
});

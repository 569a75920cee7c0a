@srv:6.24.2 @level:story
Feature: SR 6.24.2 Retrieve Device Security Credentials (MP081 DUIS 3.8.77)

  Background:
    Given the standard estate

  @clause:MP081-DUIS-3.8.77.3 @release:from-2020-11
  Scenario: No specific validation: a device whose certificates the inventory does not hold is still asked
    When the user retrieves the "Key Agreement" credentials of the PPMID
    Then the response code is I99
    And the device response arrives with code I0

  @clause:MP081-DUIS-3.8.77.4 @release:from-2020-11
  Scenario: Certificates the device returns that differ from the inventory update the inventory and SMKI
    Given the ESME holds new security certificates
    When the user retrieves the "Digital Signature" credentials of the ESME
    Then the response code is I99
    And the device response arrives with code I0
    And the inventory records the new "Digital Signature" certificate of the ESME
    And the SMKI repository holds the new "Digital Signature" certificate of the ESME as In Use
    And the inventory keeps the old "Key Agreement" certificate of the ESME

  @clause:MP081-DUIS-3.8.77.4 @release:before-2020-11
  Scenario: Before MP081 the inventory is not updated from the device's answer
    Given the ESME holds new security certificates
    When the user retrieves the "Digital Signature" credentials of the ESME
    Then the response code is I99
    And the device response arrives with code I0
    And the inventory keeps the old "Digital Signature" certificate of the ESME

@srv:6.24.2 @level:story
Feature: SR 6.24.2 Retrieve Device Security Credentials (MP081 DUIS 3.8.77.3, 3.8.77.4)
  No validation specific to SR 6.24.2 (the general validation of 3.2.5 still applies: see the envelope feature). On a
  successful device response the DCC compares the certificates returned with the Inventory; if the device uses a
  different set it updates the Inventory and the SMKI Repository, and if the set is the same nothing changes.

  Background:
    Given the standard estate

  @clause:MP081-DUIS-3.8.77.3
  Scenario Outline: A correct request is sent to the device for every credential type
    When the user retrieves the "<usage>" credentials of the ESME
    Then the response code is I99
    And the device response arrives with code I0

    Examples:
      | usage             |
      | Digital Signature |
      | Key Agreement     |

  @clause:MP081-DUIS-3.8.77.3
  Scenario: A device whose certificate of that type the inventory does not hold is still asked
    Given the inventory holds no "Key Agreement" certificate of the PPMID
    When the user retrieves the "Key Agreement" credentials of the PPMID
    Then the response code is I99
    And the device response arrives with code I0

  @clause:MP081-DUIS-3.8.77.4
  Scenario: Certificates the device returns that differ from the inventory update the inventory and the SMKI
    Given the ESME holds new security certificates
    When the user retrieves the "Digital Signature" credentials of the ESME
    Then the response code is I99
    And the device response arrives with code I0
    And the inventory records the ESME's new "Digital Signature" certificate
    And the SMKI repository holds the ESME's new "Digital Signature" certificate as In Use
    And the inventory still records the ESME's "Key Agreement" certificate as before

  @clause:MP081-DUIS-3.8.77.4
  Scenario: Certificates the device returns that match the inventory change nothing
    Given the ESME uses the certificates the inventory records
    When the user retrieves the "Digital Signature" credentials of the ESME
    Then the response code is I99
    And the device response arrives with code I0
    And the inventory and the SMKI repository hold the ESME's certificates as before

@srv:6.24.2 @level:story
Feature: SR 6.24.2 Retrieve Device Security Credentials (MP081 DUIS 3.8.77.3, 3.8.77.4)
  No validation specific to SR 6.24.2 (the general validation of 3.2.5 still applies: see the envelope feature). On a
  successful device response the DCC compares the certificates returned with the Inventory; if the device uses a
  different set it updates the Inventory and the SMKI Repository, and if the set is the same nothing changes.

  Background:
    Given the standard estate

  # Each CredentialType the XSD allows is a partition: a wrong endpoint may handle Digital Signature right and Key
  # Agreement wrong. After every request the frame check compares every device of the estate and its SMKI entries:
  # exactly what the clause says changes, nothing else (a retrieval of an unchanged set changes nothing: 3.8.77.4).
  @clause:MP081-DUIS-3.8.77.3 @clause:MP081-DUIS-3.8.77.4
  Scenario Outline: A correct request is sent to the device for every credential type and meter
    Given the <device> uses the certificates the inventory records
    When the user retrieves the "<usage>" credentials of the <device>
    Then the response code is I99
    And the device response arrives with code I0
    And nothing else observable changed

    Examples: each credential type, on the electricity meter and on the gas meter (sent by the Gas Supplier)
      | device | usage             |
      | ESME   | Digital Signature |
      | ESME   | Key Agreement     |
      | GSME   | Digital Signature |
      | GSME   | Key Agreement     |

  @clause:MP081-DUIS-3.8.77.3 @clause:MP081-DUIS-3.8.77.4
  Scenario: A device whose certificate of that type the inventory does not hold is still asked, and the inventory learns it
    Given the inventory holds no "Key Agreement" certificate of the PPMID
    When the user retrieves the "Key Agreement" credentials of the PPMID
    Then the response code is I99
    And the device response arrives with code I0
    And the inventory records the "Key Agreement" certificate the PPMID uses, if any
    And nothing else observable changed

  # A changed set, for each credential type: the retrieved type's certificate is replaced in the inventory and the
  # SMKI (the new one In Use, the replaced one no longer), the other type's is untouched although the device has a
  # new one of it too (it was not retrieved), and nothing else changes.
  @clause:MP081-DUIS-3.8.77.4
  Scenario Outline: Certificates the device returns that differ from the inventory update the inventory and the SMKI
    Given the <device> holds new security certificates
    When the user retrieves the "<usage>" credentials of the <device>
    Then the response code is I99
    And the device response arrives with code I0
    And the inventory records the <device>'s new "<usage>" certificate
    And the SMKI repository holds the <device>'s new "<usage>" certificate as In Use
    And the SMKI repository holds the <device>'s replaced "<usage>" certificate no longer In Use
    And the inventory still records the <device>'s "<other>" certificate as before
    And nothing else observable changed

    Examples: each credential type (and the gas meter's)
      | device | usage             | other             |
      | ESME   | Digital Signature | Key Agreement     |
      | ESME   | Key Agreement     | Digital Signature |
      | GSME   | Key Agreement     | Digital Signature |

  @clause:MP081-DUIS-3.8.77.4
  Scenario Outline: Certificates the device returns that match the inventory change nothing
    Given the ESME uses the certificates the inventory records
    When the user retrieves the "<usage>" credentials of the ESME
    Then the response code is I99
    And the device response arrives with code I0
    And the inventory and the SMKI repository hold the ESME's certificates as before
    And nothing else observable changed

    Examples: each credential type
      | usage             |
      | Digital Signature |
      | Key Agreement     |
